"""check_data on synthetic data: every data.* code fires on a broken case and
stays silent on its healthy twin."""

import numpy as np
import pytest

from kerasdoc import check_data

N_CLASSES = 5


def make_images(n, seed, *, side=16, noise=0.15):
    """Class prototypes (smooth random blobs) plus per-sample noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    protos = np.random.default_rng(123).random((N_CLASSES, 4, 4))
    protos = np.kron(protos, np.ones((side // 4, side // 4)))
    y = rng.permutation(np.arange(n) % N_CLASSES)
    shift = rng.integers(-1, 2, size=n)
    x = np.stack([np.roll(protos[c], s, axis=1) for c, s in zip(y, shift)])
    x = x + noise * rng.standard_normal(x.shape)
    return np.clip(x, 0, 1).astype(np.float32), y


def make_tabular(n, seed):
    """Gaussian clusters, standardised continuous columns and two 0/1 columns."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % N_CLASSES)
    centers = np.random.default_rng(7).standard_normal((N_CLASSES, 4)) * 2
    cont = centers[y] + rng.standard_normal((n, 4))
    cont = (cont - cont.mean(0)) / cont.std(0)
    binary = (rng.random((n, 2)) < 0.4).astype(np.float32)
    return np.concatenate([cont, binary], axis=1).astype(np.float32), y


@pytest.fixture(scope="module")
def images():
    x, y = make_images(1000, 1)
    xt, yt = make_images(300, 2)
    return x, y, xt, yt


@pytest.fixture(scope="module")
def healthy_report(images):
    x, y, xt, yt = images
    return check_data(x, y, x_test=xt, y_test=yt, n_classes=N_CLASSES, label_noise=True)


def test_healthy_images_are_silent(healthy_report):
    assert len(healthy_report) == 0, healthy_report.to_text(color=False)
    assert set(healthy_report.ran) == {
        "data.nonfinite", "data.not_normalized", "data.label_range",
        "data.label_misalignment", "data.class_imbalance", "data.duplicates",
        "data.split_leakage", "data.distribution_shift", "data.unshuffled",
        "data.label_noise", "data.constant_target"}
    assert "data.categorical_scaled" in healthy_report.skipped


def test_healthy_tabular_is_silent():
    x, y = make_tabular(1000, 1)
    xt, yt = make_tabular(300, 2)
    report = check_data(x, y, x_test=xt, y_test=yt, label_noise=True)
    assert len(report) == 0, report.to_text(color=False)
    assert "data.categorical_scaled" in report.ran


# data.nonfinite -------------------------------------------------------------
def test_nonfinite_inputs_and_labels(images):
    x, y, _, _ = images
    x = x.copy()
    x[[3, 40]] = np.nan
    x[41, 0, 0] = np.inf
    report = check_data(x, y.astype(float))
    (f,) = report.by_code("data.nonfinite")
    assert f.evidence["indices"] == (3, 40, 41)
    assert f.evidence["n_samples"] == 3
    y_bad = y.astype(float)
    y_bad[7] = np.nan
    report = check_data(images[0], y_bad)
    assert report.has("data.nonfinite", "error")
    assert report.by_code("data.nonfinite")[0].evidence["indices"] == (7,)


# data.not_normalized ----------------------------------------------------------
def test_raw_pixels_fire(images):
    x, y, _, _ = images
    report = check_data((x * 255).astype(np.uint8), y)
    (f,) = report.by_code("data.not_normalized")
    assert f.evidence["max"] > 200 and "255" in f.fix


def test_standardised_images_are_silent(images):
    x, y, _, _ = images
    report = check_data((x - x.mean()) / x.std(), y)
    assert not report.has("data.not_normalized")


def test_flattened_unit_pixels_are_silent(bundled_subset):
    """Flattened [0, 1] pixels: a border pixel lit in one image is narrow, not a scale problem."""
    x = bundled_subset.x_train[:512].reshape(512, -1).astype("float32") / 255.0
    y = bundled_subset.y_train[:512]
    ranges = x.max(axis=0) - x.min(axis=0)
    assert ranges.max() / ranges[ranges > 0].min() > 100  # what used to fire
    assert not check_data(x, y).has("data.not_normalized")
    wide = x.copy()
    wide[:, 400] *= 255.0  # one column left at the raw 0-255 scale still fires
    assert check_data(wide, y).has("data.not_normalized")


def test_tabular_scale_ratio_fires():
    x, y = make_tabular(600, 3)
    x[:, 1] = x[:, 1] * 5000 + 40000  # an unscaled income column
    report = check_data(x, y)
    codes = [f.evidence.get("widest_feature") for f in report.by_code("data.not_normalized")]
    assert 1 in codes


# data.label_range -----------------------------------------------------------
def test_labels_out_of_range(images):
    x, y, _, _ = images
    y = y.copy()
    y[[2, 9]] = N_CLASSES
    report = check_data(x, y, n_classes=N_CLASSES)
    (f,) = [f for f in report.by_code("data.label_range")
            if f.evidence["problem"] == "out_of_range"]
    assert f.evidence["indices"] == (2, 9)
    assert str(f.severity) == "error"


def test_one_hot_problems(images):
    x, y, _, _ = images
    onehot = np.eye(N_CLASSES)[y]
    assert not check_data(x, onehot, n_classes=N_CLASSES).has("data.label_range")
    bad = onehot.copy()
    bad[4, (y[4] + 1) % N_CLASSES] = 1.0
    report = check_data(x, bad, n_classes=N_CLASSES)
    assert report.by_code("data.label_range")[0].evidence["indices"] == (4,)
    wrong_width = check_data(x, onehot, n_classes=N_CLASSES + 2)
    assert any(f.evidence.get("label_columns") == N_CLASSES
               for f in wrong_width.by_code("data.label_range"))


def test_missing_class_is_a_warning(images):
    x, y, _, _ = images
    report = check_data(x, y, n_classes=N_CLASSES + 1)
    (f,) = report.by_code("data.label_range")
    assert f.evidence["missing_classes"] == (N_CLASSES,)
    assert str(f.severity) == "warning"


# data.label_misalignment ------------------------------------------------------
def test_labels_shuffled_apart_fire(images, rng):
    x, y, _, _ = images
    report = check_data(x, rng.permutation(y))
    (f,) = report.by_code("data.label_misalignment")
    assert str(f.severity) == "error"
    assert f.evidence["information"] < 0.1
    assert not check_data(x, y).has("data.label_misalignment")



def _one_to_fifty(y, n_classes, seed=2):
    """Indices of 100 samples of class 0 and 2 of every other class, shuffled."""
    keep = np.concatenate([np.flatnonzero(y == c)[: 100 if c == 0 else 2]
                           for c in range(n_classes)])
    return np.random.default_rng(seed).permutation(keep)


def test_aligned_imbalanced_labels_are_silent(images):
    # Notebook 02's case: plain accuracy can equal the majority rate here,
    # yet the labels are informative (chance-corrected scores say so).
    x, y, _, _ = images
    keep = _one_to_fifty(y, N_CLASSES)
    report = check_data(x[keep], y[keep])
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment")


def test_imbalanced_labels_shuffled_apart_fire(images, rng):
    x, y, _, _ = images
    keep = _one_to_fifty(y, N_CLASSES)
    (f,) = check_data(x[keep], rng.permutation(y[keep])).by_code("data.label_misalignment")
    assert f.evidence["information"] < 0.1
    assert f.evidence["cv_log_loss"] > f.evidence["prior_entropy"]


def test_misalignment_skips_a_class_with_one_sample(images):
    x, y, _, _ = images
    keep = np.r_[np.flatnonzero(y != 4), np.flatnonzero(y == 4)[:1]]
    report = check_data(x[keep], y[keep])
    assert "2 samples of every class" in report.skipped["data.label_misalignment"]
    assert not report.has("data.label_misalignment")


# data.class_imbalance ---------------------------------------------------------
def test_imbalance_fires_and_names_the_majority_rate(images):
    x, y, _, _ = images
    keep = np.flatnonzero((y != 1) | (np.cumsum(y == 1) <= 4))
    report = check_data(x[keep], y[keep])
    (f,) = report.by_code("data.class_imbalance")
    assert f.evidence["minority_class"] == 1 and f.evidence["ratio"] == 50.0
    assert f.evidence["majority_class_accuracy"] == pytest.approx(200 / len(keep))
    assert "balanced accuracy" in f.fix


# data.duplicates --------------------------------------------------------------
def test_exact_duplicates_fire(images):
    x, y, _, _ = images
    copies = np.arange(50)
    report = check_data(np.concatenate([x, x[copies]]), np.concatenate([y, y[copies]]))
    (f,) = report.by_code("data.duplicates")
    assert f.evidence["n_extra_copies"] == 50
    assert f.evidence["groups"][0] == (0, 1000)
    assert f.evidence["n_groups_with_conflicting_labels"] == 0


# data.split_leakage -----------------------------------------------------------
def test_test_copies_in_train_are_an_error(images):
    x, y, xt, yt = images
    leaked = np.arange(0, 300, 30)  # 10 of 300 test samples
    report = check_data(np.concatenate([x, xt[leaked]]), np.concatenate([y, yt[leaked]]),
                        x_test=xt, y_test=yt)
    (f,) = report.by_code("data.split_leakage")
    assert str(f.severity) == "error"
    assert f.evidence["test_indices"] == tuple(leaked)
    assert f.evidence["n_exact"] == 10


def test_near_duplicates_are_found(images, rng):
    x, y, xt, yt = images
    leaked = np.arange(5, 300, 60)
    near = np.clip(xt[leaked] * 0.9 + 0.05 + 0.002 * rng.standard_normal(xt[leaked].shape), 0, 1)
    report = check_data(np.concatenate([x, near]), np.concatenate([y, yt[leaked]]),
                        x_test=xt, y_test=yt)
    (f,) = report.by_code("data.split_leakage")
    assert f.evidence["n_near"] == len(leaked) and f.evidence["n_exact"] == 0
    assert sorted(p["train"] for p in f.evidence["pairs"]) == list(range(1000, 1000 + len(leaked)))


# data.distribution_shift ------------------------------------------------------
def test_class_mix_shift(images):
    x, y, xt, yt = images
    keep = np.flatnonzero(yt != 0)
    report = check_data(x, y, x_test=xt[keep], y_test=yt[keep])
    kinds = [f.evidence["kind"] for f in report.by_code("data.distribution_shift")]
    assert "class_mix" in kinds


def test_low_resolution_train_vs_high_resolution_test(images):
    x, y, xt, yt = images
    low = x.reshape(len(x), 8, 2, 8, 2).mean(axis=(2, 4)).repeat(2, 1).repeat(2, 2)
    report = check_data(low, y, x_test=xt, y_test=yt)
    (f,) = [f for f in report.by_code("data.distribution_shift") if f.evidence["kind"] == "inputs"]
    assert f.evidence["domain_auc"] > 0.9
    assert f.evidence["most_shifted"][0]["feature"] == "sharpness"


# data.unshuffled --------------------------------------------------------------
def test_sorted_labels_fire(images):
    x, y, _, _ = images
    order = np.argsort(y, kind="stable")
    report = check_data(x[order], y[order], shuffle=False)
    (f,) = report.by_code("data.unshuffled")
    assert str(f.severity) == "warning"
    assert f.evidence["longest_run"]["length"] == 200
    assert f.evidence["single_class_batches"] >= 25
    # Arrays fit shuffles every epoch (its default): said, at info.
    (f,) = check_data(x[order], y[order]).by_code("data.unshuffled")
    assert str(f.severity) == "info" and f.evidence["shuffled_by_fit"]


# data.categorical_scaled ------------------------------------------------------
def test_standard_scaled_binary_columns_fire():
    from sklearn.preprocessing import StandardScaler

    x, y = make_tabular(600, 4)
    report = check_data(StandardScaler().fit_transform(x), y)
    (f,) = report.by_code("data.categorical_scaled")
    assert f.evidence["columns"] == (4, 5)
    assert str(f.severity) == "warning"  # two columns: a possible one-hot group


def test_one_standardised_binary_column_is_info():
    """Twin of MachineLearningMastery's diabetes regression: StandardScaler over
    the ten raw columns, one of them sex (two levels, about 50/50)."""
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    x, y = load_diabetes(return_X_y=True, scaled=False)
    x = StandardScaler().fit_transform(x).astype("float32")
    (f,) = check_data(x, y.astype("float32"), task="regression").by_code(
        "data.categorical_scaled")
    assert f.evidence["columns"] == (1,) and f.evidence["lone_binary_column"] is True
    assert str(f.severity) == "info"


def test_declared_categorical_columns():
    x, y = make_tabular(600, 5)
    x = x.copy()
    x[:, 5] = np.random.default_rng(0).integers(0, 3, len(x))  # 3 categories, unscaled
    assert not check_data(x, y, categorical_columns=[5]).has("data.categorical_scaled")
    x[:, 5] = (x[:, 5] - x[:, 5].mean()) / x[:, 5].std()
    report = check_data(x, y, categorical_columns=[5])
    assert report.by_code("data.categorical_scaled")[0].evidence["columns"] == (5,)



def test_rescaled_or_standardised_pixel_columns_are_not_categorical(bundled_subset):
    """Flattened images and 8x8 digits (0..16): corner pixels take two values,
    {0, c} once rescaled and {a, b} with a handful of rare rows once
    standardised. Neither is a standardised binary feature."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    digits = load_digits()
    pixels = bundled_subset.x_train.reshape(len(bundled_subset.x_train), -1)
    for x, y in [(digits.data / 16.0, digits.target),
                 (StandardScaler().fit_transform(digits.data), digits.target),
                 (pixels / 255.0, bundled_subset.y_train),
                 (StandardScaler().fit_transform(pixels), bundled_subset.y_train)]:
        report = check_data(x.astype(np.float32), y)
        assert "data.categorical_scaled" in report.ran
        assert not report.has("data.categorical_scaled")


def test_standardised_binary_column_fires_once_its_rare_value_repeats():
    """Ten rows sharing the rarer value are enough to call a column binary."""
    x, y = make_tabular(600, 4)
    x = x.copy()
    for rare, fires in [(3, False), (15, True)]:
        flag = np.zeros(len(x))
        flag[:rare] = 1.0
        x[:, 5] = (flag - flag.mean()) / flag.std()
        x[:, 4] = np.linspace(-1.0, 1.0, len(x))  # a continuous column
        report = check_data(x, y)
        assert report.has("data.categorical_scaled") is fires
        if fires:
            assert report.by_code("data.categorical_scaled")[0].evidence["columns"] == (5,)


# data.label_noise -------------------------------------------------------------
def test_label_noise_fires_with_ranked_suspects(images, rng):
    x, y, _, _ = images
    noisy = rng.choice(len(y), 100, replace=False)
    y_noisy = y.copy()
    y_noisy[noisy] = (y[noisy] + rng.integers(1, N_CLASSES, 100)) % N_CLASSES
    report = check_data(x, y_noisy, label_noise=True)
    (f,) = report.by_code("data.label_noise")
    top = np.asarray(f.evidence["indices"][:100])
    assert np.isin(top, noisy).mean() >= 0.9
    assert not report.has("data.label_misalignment")
    assert "data.label_noise" in check_data(x, y_noisy).skipped


def test_walkthrough_standard_scaler_over_binary_columns():
    """Age, Bounties, Sex, Has_Masters, Has_Bachelors, scaled three ways."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    n = 500
    y = rng.integers(0, 2, n)
    data = np.column_stack([
        rng.integers(18, 60, n) + 5 * y,          # Age
        rng.integers(0, 100_000, n) + 20_000 * y,  # Bounties
        rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, 2, n),
    ]).astype(np.float64)
    raw = check_data(data, y)
    assert raw.has("data.not_normalized") and not raw.has("data.categorical_scaled")
    everything = check_data(StandardScaler().fit_transform(data), y)
    (f,) = everything.by_code("data.categorical_scaled")
    assert f.evidence["columns"] == (2, 3, 4)
    assert not everything.has("data.not_normalized")
    right = ColumnTransformer([("scale", StandardScaler(), [0, 1])],
                              remainder="passthrough").fit_transform(data)
    assert len(check_data(right, y)) == 0


def test_colour_images_channels_last(images):
    x, y, xt, yt = images
    rgb = np.stack([x, 1 - x, x * 0.5], axis=-1)
    rgb_test = np.stack([xt, 1 - xt, xt * 0.5], axis=-1)
    assert len(check_data(rgb, y, x_test=rgb_test, y_test=yt)) == 0
    leaked = check_data(np.concatenate([rgb, rgb_test[:20]]), np.concatenate([y, yt[:20]]),
                        x_test=rgb_test, y_test=yt)
    assert leaked.by_code("data.split_leakage")[0].evidence["n_exact"] == 20
