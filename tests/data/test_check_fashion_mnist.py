"""check_data on real FashionMNIST: the clean data and the bundled subset raise
no error, and the issue's injected faults are caught."""

import numpy as np
import pytest

from kerasdoc import check_data

N_TRAIN, N_TEST = 4000, 1000


@pytest.fixture(scope="module")
def real(fashion_mnist):
    """A seeded random sample of the official split, scaled to [0, 1]."""
    (x_train, y_train), (x_test, y_test), _ = fashion_mnist
    rng = np.random.default_rng(0)
    tr = rng.choice(len(x_train), N_TRAIN, replace=False)
    te = rng.choice(len(x_test), N_TEST, replace=False)
    return (x_train[tr].astype(np.float32) / 255, y_train[tr].astype(np.int64),
            x_test[te].astype(np.float32) / 255, y_test[te].astype(np.int64))


def test_clean_sample_has_no_findings(real):
    x, y, xt, yt = real
    report = check_data(x, y, x_test=xt, y_test=yt, n_classes=10, label_noise=True)
    assert len(report) == 0, report.to_text(color=False)


def test_bundled_subset_has_no_error(bundled_subset):
    s = bundled_subset
    report = check_data(s.x_train, s.y_train, x_test=s.x_test, y_test=s.y_test,
                        n_classes=10, label_noise=True)
    assert not report.errors, report.to_text(color=False)
    # the subset is saved as raw 0-255 pixels, as in the walkthrough: that warning is true
    assert s.x_train.max() > 1
    assert report.codes == {"data.not_normalized"}, report.to_text(color=False)


def test_five_percent_label_noise_is_found(real, rng):
    x, y, _, _ = real
    noisy = rng.choice(len(y), len(y) // 20, replace=False)
    y_noisy = y.copy()
    y_noisy[noisy] = (y[noisy] + rng.integers(1, 10, len(noisy))) % 10
    report = check_data(x, y_noisy, n_classes=10, label_noise=True)
    (f,) = report.by_code("data.label_noise")
    suspects = np.asarray(f.evidence["indices"])  # ranked, most suspicious first
    recall = np.isin(noisy, suspects).mean()
    precision = np.isin(suspects, noisy).mean()
    top = np.isin(suspects[:50], noisy).mean()
    print(f"{len(noisy)} noisy labels, {len(suspects)} suspects: recall {recall:.2f}, "
          f"precision {precision:.2f}, precision of the top 50 {top:.2f}")
    assert recall >= 0.5 and precision >= 0.6 and top >= 0.9
    assert not report.has("data.label_misalignment")


def test_one_percent_of_test_copied_into_train_is_an_error(real):
    x, y, xt, yt = real
    copied = np.arange(0, N_TEST, 100)  # 10 of 1000
    report = check_data(np.concatenate([x, xt[copied]]), np.concatenate([y, yt[copied]]),
                        x_test=xt, y_test=yt)
    (f,) = report.by_code("data.split_leakage")
    assert str(f.severity) == "error"
    assert set(copied) <= set(f.evidence["test_indices"])
    assert f.evidence["n_exact"] == len(copied)


def test_labels_shuffled_apart_is_an_error(real, rng):
    x, y, _, _ = real
    report = check_data(rng.permutation(x), rng.permutation(y))
    (f,) = report.by_code("data.label_misalignment")
    assert str(f.severity) == "error"
    assert f.evidence["cv_accuracy"] < 0.2


def test_sorted_by_label_is_found(real):
    x, y, _, _ = real
    order = np.argsort(y, kind="stable")
    report = check_data(x[order], y[order])
    assert report.codes == {"data.unshuffled"}
    assert report.by_code("data.unshuffled")[0].evidence["ratio"] > 50


def test_one_to_fifty_imbalance_is_found(real):
    x, y, _, _ = real
    keep = np.flatnonzero(y != 3)
    minority = np.flatnonzero(y == 3)[:int(np.sum(y == 0) // 50)]
    idx = np.sort(np.concatenate([keep, minority]))
    report = check_data(x[idx], y[idx])
    (f,) = report.by_code("data.class_imbalance")
    assert f.evidence["minority_class"] == 3 and f.evidence["ratio"] >= 50



def test_aligned_one_to_fifty_subset_is_not_misaligned(bundled_subset, rng):
    """Notebook 02: 100 T-shirts and 2 of every other class (majority rate 84.7%).

    The linear model always predicts the majority class here (accuracy equals
    the majority rate), yet ranks the classes well: no misalignment.
    """
    s = bundled_subset
    x, y = s.x_train.astype(np.float32) / 255, s.y_train.astype(np.int64)
    keep = np.concatenate([np.flatnonzero(y == c)[: 100 if c == 0 else 2] for c in range(10)])
    keep = np.random.default_rng(2).permutation(keep)
    report = check_data(x[keep], y[keep])
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment")
    (f,) = check_data(x[keep], rng.permutation(y[keep])).by_code("data.label_misalignment")
    assert f.evidence["cv_accuracy"] <= f.evidence["majority_rate"] + 0.02
    assert f.evidence["auc_score"] < 0.1

@pytest.mark.slow
def test_official_split_warnings_are_true(fashion_mnist):
    """The full official split: no error; its near-duplicates across train/test are real."""
    (x_train, y_train), (x_test, y_test), _ = fashion_mnist
    report = check_data(x_train, y_train, x_test=x_test, y_test=y_test, n_classes=10,
                        label_noise=True)
    assert not report.errors, report.to_text(color=False)
    assert report.codes == {"data.not_normalized", "data.split_leakage"}
    assert x_train.max() == 255  # raw pixels: not_normalized is true
    (leak,) = report.by_code("data.split_leakage")
    assert leak.evidence["n_exact"] == 0 and leak.evidence["fraction"] < 0.005
    for pair in leak.evidence["pairs"]:
        a = x_test[pair["test"]].astype(np.float64).ravel()
        b = x_train[pair["train"]].astype(np.float64).ravel()
        a, b = a - a.mean(), b - b.mean()
        assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) >= 0.999  # same photo
        assert y_test[pair["test"]] == y_train[pair["train"]]
    top = leak.evidence["pairs"][0]
    assert (top["test"], top["train"]) == (4998, 13360)
    diff = np.abs(x_test[4998].astype(int) - x_train[13360].astype(int))
    assert diff.max() <= 4  # a re-encoded copy of one product photo
