"""`check_preprocessing`: the batch fed to a keras.applications backbone vs its convention."""

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_array, check_float, check_model, received
from kerasdoc.findings import Finding, Report
from kerasdoc.model import _backbones, _families
from kerasdoc.model._families import CONVENTIONS, FAMILIES, IMAGENET_MEAN_RGB_255
from kerasdoc.model._backbones import find_backbones  # noqa: F401 (kerasdoc._diagnose)

_EXPECTED_MEAN = {  # mean an ImageNet model expects subtracted (0-255, RGB)
    "caffe": IMAGENET_MEAN_RGB_255,
    "torch": _families.TORCH_MEAN_RGB * 255.0,
}


def _apply_datagen(datagen, x):
    """The batch after `datagen`'s standardisation, and the mean it subtracts."""
    if not hasattr(datagen, "featurewise_center") or not hasattr(datagen, "mean"):
        raise InvalidTypeError(
            "`datagen` must be an ImageDataGenerator or an object with "
            "`featurewise_center` and `mean` attributes. " + received("datagen", datagen))
    x = np.array(x, dtype=np.float32, copy=True)
    mean = getattr(datagen, "mean", None)
    center = bool(getattr(datagen, "featurewise_center", False)) and mean is not None
    if hasattr(datagen, "standardize"):
        x = np.asarray(datagen.standardize(x))
    else:
        fn = getattr(datagen, "preprocessing_function", None)
        if fn is not None:
            x = np.asarray(fn(x))
        if getattr(datagen, "rescale", None):
            x = x * datagen.rescale
        if center:
            x = x - np.asarray(mean)
        std = getattr(datagen, "std", None)
        if getattr(datagen, "featurewise_std_normalization", False) and std is not None:
            x = x / (np.asarray(std) + 1e-6)
    return x, (np.asarray(mean, dtype=np.float64).reshape(-1) if center else None)


def _matches_imagenet(mean, expected, tolerance):
    if mean is None or mean.size != 3:
        return True
    for scale in (1.0, 1.0 / 255.0):
        for ref in (expected, expected[::-1]):
            if np.max(np.abs(mean - ref * scale)) <= tolerance * 255.0 * scale:
                return True
    return False


def _channels_last(batch):
    if batch.ndim != 4:
        return None
    if batch.shape[-1] == 3:
        return batch.reshape(-1, 3)
    if batch.shape[1] == 3:
        return np.moveaxis(batch, 1, -1).reshape(-1, 3)
    return None


def _fed_batch(model, tensor, x):
    """The values `tensor` takes when `model` is fed `x` (no training mode)."""
    import keras

    if any(tensor is t for t in model.inputs):
        return x
    probe = keras.Model(model.inputs[0], tensor)
    return np.asarray(probe(x, training=False))


def _mean_finding(source, mean, expected, family, own_mean, tolerance):
    own = None if own_mean is None else np.round(own_mean, 3).tolist()
    looks_own = (own_mean is not None and own_mean.size == mean.size
                 and np.max(np.abs(mean - own_mean))
                 <= tolerance * (255.0 if np.max(np.abs(own_mean)) > 2 else 1.0))
    return Finding(
        "preprocess.dataset_mean",
        message=(f"{source} subtracts the mean {np.round(mean, 3).tolist()}"
                 + (", this dataset's own mean," if looks_own else ",")
                 + f" but the {family.name} backbone was trained with the ImageNet "
                 f"mean {np.round(expected, 3).tolist()} removed."),
        evidence={"source": source, "mean": np.round(mean, 4).tolist(),
                  "imagenet_mean_rgb": np.round(expected, 3).tolist(),
                  "batch_mean": own, "matches_batch_mean": bool(looks_own),
                  "family": family.name},
        fix=("Subtract the ImageNet mean (e.g. datagen.mean = np.array([123.68, "
             "116.779, 103.939], dtype='float32'), with rescale=None), or use "
             f"keras.applications.{family.module}.preprocess_input."),
    )


def check_preprocessing(model_or_backbone, x_batch, *, datagen=None,
                        range_tolerance: float = 0.1, min_contrast: float = 0.15,
                        channel_order_margin: float = 15.0,
                        mean_tolerance: float = 0.04) -> Report:
    """Check that a keras.applications backbone gets inputs in its own convention.

    Finds every backbone of `kerasdoc.model.FAMILIES` in the model (the model
    itself, a backbone nested as a layer, or a backbone's layers used directly
    in a functional model), computes the values that actually reach it when
    the model is fed `x_batch` (after any Rescaling/Normalization/Lambda
    layers before it, in inference mode), and reports
    `preprocess.pretrained_mismatch` when they cannot be in the convention
    the family was trained with: caffe (VGG, ResNet), tf [-1, 1] (MobileNet,
    Inception, Xception, ResNetV2, NASNet), torch (DenseNet), or raw 0-255
    (EfficientNet, ConvNeXt, MobileNetV3 with their preprocessing layers).
    The test undoes each convention and asks whether the result looks like
    image pixels (inside [0, 255], with both dark and bright pixels), so it
    needs a batch of several natural images; low-contrast batches that fit no
    convention are not reported. It also reports `preprocess.dataset_mean`
    when a `Normalization` layer before the backbone, or `datagen`, subtracts
    a mean other than ImageNet's from a caffe/torch family backbone. The
    architecture is what is checked: kerasdoc cannot tell whether the
    weights are the ImageNet ones.

    Args:
        model_or_backbone: a built Keras model containing (or being) a
            keras.applications backbone.
        x_batch: a batch of images, shape (n, height, width, 3), exactly as
            passed to the model; when `datagen` is given, a batch *before*
            `datagen` standardises it (kerasdoc applies `datagen.standardize`
            to a copy).
        datagen: a Keras `ImageDataGenerator` (gone from `keras` 3.15 but
            still in `tf.keras.preprocessing.image`), or any object with
            `featurewise_center`, `mean` (and optionally `std`,
            `featurewise_std_normalization`, `rescale`,
            `preprocessing_function`, `standardize`) attributes. Defaults to
            `None`.
        range_tolerance: how far (fraction of 255) reconstructed pixels may
            leave [0, 255]. Defaults to `0.1`.
        min_contrast: reconstructed pixels must reach below and above
            mid-grey by this fraction of 255. Defaults to `0.15`.
        channel_order_margin: report swapped channels when the reconstructed
            blue mean exceeds the red mean by more than this (0-255 scale);
            `None` turns the test off. Defaults to `15.0`.
        mean_tolerance: how far (fraction of the scale) a subtracted mean may
            be from ImageNet's. Defaults to `0.04`.

    Returns:
        A `kerasdoc.Report`.

    Example:

    >>> base = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3),
    ...                                       include_top=False)
    >>> x = np.random.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    >>> kerasdoc.check_preprocessing(base, x).codes  # raw pixels, [-1, 1] expected
    {'preprocess.pretrained_mismatch'}
    """
    model = check_model(model_or_backbone, "model_or_backbone")
    x = check_array(x_batch, "x_batch", min_ndim=4, max_ndim=4)
    check_float(range_tolerance, "range_tolerance", minimum=0.0)
    check_float(min_contrast, "min_contrast", minimum=0.0, maximum=0.5)
    check_float(channel_order_margin, "channel_order_margin", minimum=0.0,
                allow_none=True)
    check_float(mean_tolerance, "mean_tolerance", minimum=0.0)
    if len(getattr(model, "inputs", None) or ()) != 1:
        raise InvalidInputError(
            "`model_or_backbone` must be a functional or Sequential model with one "
            "image input. " + received("model_or_backbone", model))
    own_mean = None
    pixels_in = _channels_last(x)
    if pixels_in is not None:
        own_mean = pixels_in.astype(np.float64).mean(axis=0)
    datagen_mean = None
    if datagen is not None:
        x, datagen_mean = _apply_datagen(datagen, x)
    backbones = _backbones.find_backbones(model)
    if not backbones:
        return Report([], ran=(), title="kerasdoc preprocessing check", skipped={
            "preprocessing": "no keras.applications backbone recognised in the model"})
    findings = []
    for backbone, family, nested in backbones:
        convention, inner = _backbones.expected_convention(backbone.layers, family)
        if nested:
            tensor = _backbones.input_of(backbone, model)
        else:
            tensor = inner if inner is not None else model.inputs[0]
        if tensor is None:
            continue
        mean_found = False
        if convention in _EXPECTED_MEAN:
            expected = _EXPECTED_MEAN[convention]
            sources = [] if datagen_mean is None else [("datagen", datagen_mean)]
            sources += [(f"Normalization layer {layer.name}",
                         np.asarray(layer.mean, dtype=np.float64).reshape(-1))
                        for layer in _backbones.upstream_normalizations(model, tensor)
                        if getattr(layer, "mean", None) is not None]
            for source, mean in sources:
                if not _matches_imagenet(mean, expected, mean_tolerance):
                    mean_found = True
                    findings.append(_mean_finding(source, mean, expected, family,
                                                  own_mean, mean_tolerance))
        if mean_found:
            continue  # the mean is the cause; the fed range follows from it
        pixels = _channels_last(_fed_batch(model, tensor, x))
        if pixels is None:
            continue
        thresholds = dict(range_tolerance=range_tolerance, min_contrast=min_contrast)
        low, high, rgb_means = _families.reconstruct(pixels, convention)
        looks_like = _families.plausible_conventions(pixels, **thresholds)
        evidence = {"backbone": backbone.name, "family": family.name,
                    "expected": convention, "looks_like": looks_like,
                    "batch_min": float(pixels.min()), "batch_max": float(pixels.max()),
                    "batch_channel_means": np.round(pixels.mean(axis=0), 4).tolist()}
        if not _families.is_plausible(low, high, **thresholds):
            if not looks_like:
                continue  # fits no convention (e.g. low contrast): cannot tell
            findings.append(Finding(
                "preprocess.pretrained_mismatch",
                message=(f"The {family.name} backbone {backbone.name} expects "
                         f"{CONVENTIONS[convention]}, but the batch reaching it "
                         f"(range [{pixels.min():.3g}, {pixels.max():.3g}]) looks like "
                         f"{' or '.join(CONVENTIONS[c].split(';')[0] for c in looks_like)}."),
                evidence=evidence,
                fix=(f"Feed keras.applications.{family.module}.preprocess_input(x) with "
                     "x as RGB 0-255 pixels (or an equivalent layer inside the model)."),
                layer=backbone.name,
            ))
        elif (channel_order_margin is not None
              and rgb_means[2] - rgb_means[0] > channel_order_margin):
            findings.append(Finding(
                "preprocess.pretrained_mismatch",
                severity="warning",
                message=(f"Read in the {convention} convention, the batch reaching "
                         f"{backbone.name} is much bluer than red (mean blue "
                         f"{rgb_means[2]:.1f} vs red {rgb_means[0]:.1f}): the channel "
                         "order looks reversed (RGB/BGR)."),
                evidence=dict(evidence, reconstructed_rgb_means=np.round(
                    rgb_means, 2).tolist(), channel_order_margin=channel_order_margin),
                fix=("Load images as RGB (OpenCV gives BGR: img[..., ::-1]) and let "
                     f"keras.applications.{family.module}.preprocess_input do any "
                     "channel swap."),
                layer=backbone.name,
            ))
    return Report(findings, ran=("preprocessing",), title="kerasdoc preprocessing check")
