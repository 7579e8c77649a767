"""preprocess.pretrained_mismatch and preprocess.dataset_mean on keras.applications."""

import types

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError, check_preprocessing
from kerasdoc._modelcopy import ModelState
from kerasdoc.model import FAMILIES

MISMATCH = "preprocess.pretrained_mismatch"
DATASET_MEAN = "preprocess.dataset_mean"


def _with_head(keras, backbone, *pre_layers):
    inputs = keras.Input(backbone.input_shape[1:])
    h = inputs
    for layer in pre_layers:
        h = layer(h)
    h = backbone(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))


# --- tf family (MobileNetV2) ------------------------------------------------------------
def test_mobilenet_v2_correct_preprocessing_is_silent(keras, mobilenet_v2, images):
    x = keras.applications.mobilenet_v2.preprocess_input(images.copy())
    report = check_preprocessing(mobilenet_v2, x)
    assert len(report) == 0 and report.ran == ("preprocessing",)


@pytest.mark.parametrize("scale, looks_like", [(1.0, "raw"), (1 / 255.0, "unit")])
def test_mobilenet_v2_fed_raw_or_unit_pixels_fires(mobilenet_v2, images, scale, looks_like):
    report = check_preprocessing(mobilenet_v2, images * scale)
    (finding,) = report.by_code(MISMATCH)
    assert str(finding.severity) == "error"
    assert finding.evidence["family"] == "mobilenet_v2"
    assert finding.evidence["expected"] == "tf"
    assert looks_like in finding.evidence["looks_like"]
    assert "mobilenet_v2.preprocess_input" in finding.fix


def test_backbone_nested_in_a_functional_model(keras, mobilenet_v2, images):
    model = _with_head(keras, mobilenet_v2)
    assert check_preprocessing(model, images).has(MISMATCH)
    # The same raw batch through a Rescaling layer to [-1, 1]: what reaches the
    # backbone is right.
    rescaled = _with_head(keras, mobilenet_v2,
                          keras.layers.Rescaling(1 / 127.5, offset=-1.0))
    assert len(check_preprocessing(rescaled, images)) == 0


def test_backbone_layers_used_directly_in_a_functional_model(keras, mobilenet_v2, images):
    h = keras.layers.GlobalAveragePooling2D()(mobilenet_v2.output)
    model = keras.Model(mobilenet_v2.input, keras.layers.Dense(3)(h))
    assert check_preprocessing(model, images).by_code(MISMATCH)[0].evidence[
        "family"] == "mobilenet_v2"
    x = keras.applications.mobilenet_v2.preprocess_input(images.copy())
    assert len(check_preprocessing(model, x)) == 0


# --- caffe family (ResNet50) ----------------------------------------------------------------
def test_resnet50_caffe_convention(keras, resnet50_small, images):
    good = keras.applications.resnet50.preprocess_input(images.copy())
    assert len(check_preprocessing(resnet50_small, good)) == 0
    tf_style = images / 127.5 - 1.0
    (finding,) = check_preprocessing(resnet50_small, tf_style).by_code(MISMATCH)
    assert finding.evidence["expected"] == "caffe" and "tf" in finding.evidence["looks_like"]


def test_resnet50_channel_order_reversed_warns(keras, resnet50_small, images):
    # preprocess_input applied to BGR images (e.g. loaded with OpenCV) flips them
    # back to RGB: the mean is removed from the wrong channels.
    bgr = keras.applications.resnet50.preprocess_input(images[..., ::-1].copy())
    (finding,) = check_preprocessing(resnet50_small, bgr).by_code(MISMATCH)
    assert str(finding.severity) == "warning"
    means = finding.evidence["reconstructed_rgb_means"]
    assert means[2] - means[0] > 15
    assert len(check_preprocessing(resnet50_small, bgr, channel_order_margin=None)) == 0


# --- torch (DenseNet) and raw (EfficientNet) families ------------------------------------------
@pytest.fixture(scope="module")
def densenet(keras):
    return keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3),
                                          include_top=False)


@pytest.fixture(scope="module")
def efficientnet(keras):
    return keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3),
                                             include_top=False)


def test_densenet_torch_convention(keras, densenet, images):
    good = keras.applications.densenet.preprocess_input(images.copy())
    assert len(check_preprocessing(densenet, good)) == 0
    (finding,) = check_preprocessing(densenet, images).by_code(MISMATCH)
    assert finding.evidence["expected"] == "torch"


def test_efficientnet_rescales_inside_so_raw_is_right(keras, efficientnet, images):
    assert len(check_preprocessing(efficientnet, images)) == 0
    (finding,) = check_preprocessing(efficientnet, images / 255.0).by_code(MISMATCH)
    assert finding.evidence["expected"] == "raw"
    assert finding.evidence["looks_like"] == ("unit",)


def test_low_contrast_batch_that_fits_no_convention_is_not_reported(mobilenet_v2):
    flat = np.full((4, 32, 32, 3), 128.0, dtype="float32")
    assert not check_preprocessing(mobilenet_v2, flat).has(MISMATCH)


# --- preprocess.dataset_mean -------------------------------------------------------------------
@pytest.fixture(scope="module")
def vgg16(keras):
    return keras.applications.VGG16(weights=None, input_shape=(32, 32, 3),
                                    include_top=False)


def _image_data_generator(mean):
    import tensorflow as tf

    datagen = tf.keras.preprocessing.image.ImageDataGenerator(featurewise_center=True)
    datagen.mean = np.array(mean, dtype="float32")
    return datagen


def test_datagen_with_the_datasets_own_mean_fires(vgg16):
    # The walkthrough: datagen.mean = dogs_cats_mean for a VGG16.
    from kerasdoc.model._families import IMAGENET_MEAN_RGB_255

    dogs_cats = _natural_shifted()
    dogs_cats_mean = dogs_cats.reshape(-1, 3).mean(axis=0)
    report = check_preprocessing(vgg16, dogs_cats, datagen=_image_data_generator(
        dogs_cats_mean))
    (finding,) = report.by_code(DATASET_MEAN)
    assert str(finding.severity) == "warning"
    assert finding.evidence["matches_batch_mean"] is True
    assert finding.evidence["imagenet_mean_rgb"] == pytest.approx(
        tuple(np.round(IMAGENET_MEAN_RGB_255, 3)))


def test_datagen_with_the_imagenet_mean_is_silent(vgg16):
    x = _natural_shifted()
    imagenet = [123.68, 116.779, 103.939]
    report = check_preprocessing(vgg16, x, datagen=_image_data_generator(imagenet))
    assert not report.has(DATASET_MEAN)


def test_duck_typed_datagen_is_accepted(vgg16):
    x = _natural_shifted()
    own = types.SimpleNamespace(featurewise_center=True, mean=x.reshape(-1, 3).mean(0))
    assert check_preprocessing(vgg16, x, datagen=own).has(DATASET_MEAN)
    with pytest.raises(InvalidTypeError, match="Received: datagen="):
        check_preprocessing(vgg16, x, datagen=object())


def test_normalization_layer_with_dataset_mean_fires(keras, resnet50_small):
    x = _natural_shifted()
    own = keras.layers.Normalization(mean=x.reshape(-1, 3).mean(0), variance=[1.0] * 3)
    report = check_preprocessing(_with_head(keras, resnet50_small, own), x)
    (finding,) = report.by_code(DATASET_MEAN)
    assert finding.evidence["source"].startswith("Normalization layer")
    imagenet = keras.layers.Normalization(mean=[123.68, 116.779, 103.939],
                                          variance=[1.0] * 3)
    assert not check_preprocessing(_with_head(keras, resnet50_small, imagenet),
                                   x).has(DATASET_MEAN)


def _natural_shifted():
    """A 'dogs vs cats' batch whose mean is far from ImageNet's."""
    rng = np.random.default_rng(3)
    return np.clip(rng.normal([170.0, 150.0, 80.0], 55.0, (8, 32, 32, 3)), 0, 255).astype(
        "float32")


# --- bookkeeping, validation, safety ---------------------------------------------------------
def test_no_backbone_is_skipped_not_reported(keras, images):
    from kerasdoc.examples import small_cnn

    report = check_preprocessing(small_cnn(input_shape=(32, 32, 3)), images)
    assert len(report) == 0 and "preprocessing" in report.skipped


def test_bad_arguments_name_the_argument(mobilenet_v2, images):
    with pytest.raises(InvalidInputError, match="Received: x_batch="):
        check_preprocessing(mobilenet_v2, images[0])
    with pytest.raises(InvalidTypeError, match="Received: model_or_backbone="):
        check_preprocessing("resnet", images)
    with pytest.raises(InvalidInputError, match="Received: min_contrast=0.9"):
        check_preprocessing(mobilenet_v2, images, min_contrast=0.9)


def test_check_preprocessing_leaves_the_model_untouched(keras, mobilenet_v2, images):
    model = _with_head(keras, mobilenet_v2, keras.layers.Rescaling(1 / 127.5, offset=-1))
    model.compile("adam", "sparse_categorical_crossentropy")
    before = ModelState.capture(model)
    check_preprocessing(model, images)
    assert before.diff(ModelState.capture(model)) == []


def test_family_table_covers_the_issue_conventions():
    conventions = {name: family.convention for name, family in FAMILIES.items()}
    assert conventions["vgg"] == conventions["resnet"] == "caffe"
    assert conventions["mobilenet_v2"] == conventions["inception_v3"] == "tf"
    assert conventions["xception"] == "tf" and conventions["densenet"] == "torch"
    assert conventions["efficientnet"] == conventions["convnext"] == "raw"
