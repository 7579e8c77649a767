"""The keras.applications families and the input convention each was trained with.

Read from `keras/src/applications/*.py` (the `preprocess_input` of each
module): `caffe` = RGB->BGR then the ImageNet mean [103.939, 116.779, 123.68]
(BGR) subtracted, no scaling; `tf` = x / 127.5 - 1 (range [-1, 1]); `torch` =
x / 255, then the ImageNet mean [0.485, 0.456, 0.406] subtracted and divided
by std [0.229, 0.224, 0.225] (RGB); `raw` = RGB in [0, 255], rescaled inside
the model. Families with `include_preprocessing` expect `raw` when their
Rescaling/Normalization layers are present and `fallback` otherwise.

A backbone is recognised by the names of its layers (robust to a renamed
model, and working whether the backbone is nested as a layer or its layers
are part of the user's functional model).
"""

import dataclasses
import re
from typing import Optional, Tuple

import numpy as np

IMAGENET_MEAN_RGB_255 = np.array([123.68, 116.779, 103.939])
TORCH_MEAN_RGB = np.array([0.485, 0.456, 0.406])
TORCH_STD_RGB = np.array([0.229, 0.224, 0.225])

CONVENTIONS = {
    "caffe": "BGR, ImageNet mean [103.939, 116.779, 123.68] subtracted, 0-255 scale "
             "(keras.applications.<family>.preprocess_input, mode 'caffe')",
    "tf": "RGB scaled to [-1, 1] (x / 127.5 - 1)",
    "torch": "RGB scaled to [0, 1], ImageNet mean [0.485, 0.456, 0.406] subtracted, "
             "divided by std [0.229, 0.224, 0.225]",
    "raw": "RGB in [0, 255]; the model rescales inside",
    "unit": "RGB in [0, 1] (x / 255)",
}


@dataclasses.dataclass(frozen=True)
class Family:
    """One keras.applications family."""

    name: str
    convention: str
    models: Tuple[str, ...]
    module: str
    required: Tuple[str, ...]  # regexes that must each match a layer name
    excluded: Tuple[str, ...] = ()
    fallback: Optional[str] = None  # convention without internal preprocessing

    def matches(self, names):
        return (all(any(re.search(p, n) for n in names) for p in self.required)
                and not any(re.search(p, n) for p in self.excluded for n in names))


FAMILIES = {f.name: f for f in (
    Family("vgg", "caffe", ("VGG16", "VGG19"), "vgg16",
           (r"^block1_conv1$", r"^block5_conv1$"), (r"^block1_conv1_bn$",)),
    Family("resnet", "caffe", ("ResNet50", "ResNet101", "ResNet152"), "resnet",
           (r"^conv1_conv$", r"^conv2_block1_1_conv$"),
           (r"_preact_bn$", r"^pool2_conv$")),
    Family("resnet_v2", "tf", ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
           "resnet_v2", (r"^conv2_block1_preact_bn$",)),
    Family("inception_v3", "tf", ("InceptionV3",), "inception_v3",
           (r"^mixed0$", r"^mixed10$")),
    Family("inception_resnet_v2", "tf", ("InceptionResNetV2",), "inception_resnet_v2",
           (r"^mixed_5b$", r"^block35_1$")),
    Family("xception", "tf", ("Xception",), "xception",
           (r"^block1_conv1_bn$", r"^block14_sepconv1$")),
    Family("mobilenet", "tf", ("MobileNet",), "mobilenet",
           (r"^conv_dw_1$", r"^conv_pw_1$")),
    Family("mobilenet_v2", "tf", ("MobileNetV2",), "mobilenet_v2",
           (r"^bn_Conv1$", r"^expanded_conv_depthwise$")),
    Family("mobilenet_v3", "raw", ("MobileNetV3Small", "MobileNetV3Large"),
           "mobilenet_v3", (r"^conv_bn$", r"^expanded_conv_depthwise$"),
           (r"^bn_Conv1$",), fallback="tf"),
    Family("densenet", "torch", ("DenseNet121", "DenseNet169", "DenseNet201"),
           "densenet", (r"^conv2_block1_0_bn$", r"^pool2_conv$")),
    Family("nasnet", "tf", ("NASNetMobile", "NASNetLarge"), "nasnet",
           (r"^stem_conv1$", r"^stem_bn1$")),
    Family("efficientnet", "raw", tuple(f"EfficientNetB{i}" for i in range(8)),
           "efficientnet", (r"^stem_conv_pad$", r"^stem_conv$", r"^top_conv$")),
    Family("efficientnet_v2", "raw",
           ("EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
            "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"),
           "efficientnet_v2", (r"^stem_conv$", r"^top_conv$"), (r"^stem_conv_pad$",),
           fallback="tf"),
    Family("convnext", "raw", ("ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase",
                               "ConvNeXtLarge", "ConvNeXtXLarge"), "convnext",
           (r"_stem$", r"_stage_0_block_0_depthwise_conv$"), fallback="torch"),
)}
"""dict: family name -> `Family` (convention, model constructors, module)."""


def family_of(layer_names):
    """The `Family` whose fingerprint matches these layer names, or None."""
    names = list(layer_names)
    for family in FAMILIES.values():
        if family.matches(names):
            return family
    return None


def to_raw_rgb(z, convention):
    """Undo `convention` on a (n, 3) array: the RGB 0-255 pixels it came from."""
    z = np.asarray(z, dtype=np.float64)
    if convention == "raw":
        return z
    if convention == "unit":
        return z * 255.0
    if convention == "tf":
        return (z + 1.0) * 127.5
    if convention == "torch":
        return (z * TORCH_STD_RGB + TORCH_MEAN_RGB) * 255.0
    if convention == "caffe":
        return (z + IMAGENET_MEAN_RGB_255[::-1])[:, ::-1]
    raise ValueError(convention)


def reconstruct(pixels, convention):
    """(low, high, RGB means) of the 0-255 pixels a (n, 3) batch came from."""
    raw = to_raw_rgb(pixels, convention)
    return float(raw.min()), float(raw.max()), raw.mean(axis=0)


def is_plausible(low, high, *, range_tolerance=0.05, min_contrast=0.15):
    """Whether reconstructed pixels in [low, high] look like a batch of images.

    They must lie in [0, 255] (within `range_tolerance` of the scale) and
    reach below and above mid-grey by `min_contrast` of the scale: a batch of
    natural images has both dark and bright pixels.
    """
    return (low >= -range_tolerance * 255.0 and high <= 255.0 * (1 + range_tolerance)
            and low <= (0.5 - min_contrast) * 255.0
            and high >= (0.5 + min_contrast) * 255.0)


def plausible_conventions(pixels, **thresholds):
    """The conventions a (n, 3) batch could be in (see `is_plausible`)."""
    out = []
    for convention in ("raw", "unit", "tf", "torch", "caffe"):
        low, high, _ = reconstruct(pixels, convention)
        if is_plausible(low, high, **thresholds):
            out.append(convention)
    return out
