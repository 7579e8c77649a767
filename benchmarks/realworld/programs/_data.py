"""Seeded synthetic data shaped like the originals' (no download anywhere).

Each generator returns data whose labels really depend on the inputs, so a
healthy program can learn it; each program's NOTES names the generator it
uses in place of the original data set.
"""

import numpy as np


def token_sequences(rng, n, maxlen, vocab, *, n_classes=2, signal=12, min_len=None,
                    pad_front=True):
    """Integer token sequences (0 = padding) whose class depends on their content.

    Each class owns `signal` marker tokens (ids 2..); a sequence of class c
    draws about a quarter of its tokens from c's markers and the rest from the
    whole vocabulary (Zipf-like), so the label is readable from the tokens but
    not from their count or position. Sequences have random lengths and are
    padded with 0 at the front (as `pad_sequences`) or the back.

    Returns:
        `(x int32 (n, maxlen), y int64 (n,))`.
    """
    min_len = min_len or max(4, maxlen // 3)
    y = rng.integers(0, n_classes, size=n)
    x = np.zeros((n, maxlen), dtype="int32")
    ranks = np.arange(1, vocab - 1)
    zipf = 1.0 / ranks
    zipf /= zipf.sum()
    markers = 2 + np.arange(n_classes * signal).reshape(n_classes, signal)
    for i in range(n):
        length = int(rng.integers(min_len, maxlen + 1))
        words = rng.choice(ranks + 1, size=length, p=zipf)
        is_marker = rng.random(length) < 0.25
        words[is_marker] = rng.choice(markers[y[i]], size=int(is_marker.sum()))
        if pad_front:
            x[i, maxlen - length:] = words
        else:
            x[i, :length] = words
    return x, y.astype("int64")


def bag_of_words(rng, n, vocab, n_labels, *, words_per_doc=40, labels_per_doc=2.0):
    """Multi-hot documents and multi-label targets that depend on them.

    Each label owns 15 vocabulary words; a document takes `labels_per_doc`
    labels on average (at least one) and draws a third of its words from
    their vocabularies.

    Returns:
        `(x float32 (n, vocab) multi-hot, y float32 (n, n_labels) 0/1)`.
    """
    y = (rng.random((n, n_labels)) < labels_per_doc / n_labels).astype("float32")
    y[np.arange(n), rng.integers(0, n_labels, n)] = 1.0
    own = rng.permutation(vocab)[: n_labels * 15].reshape(n_labels, 15)
    x = np.zeros((n, vocab), dtype="float32")
    for i in range(n):
        words = rng.integers(0, vocab, size=words_per_doc)
        labels = np.flatnonzero(y[i])
        k = words_per_doc // 3
        words[:k] = own[rng.choice(labels, size=k)][np.arange(k), rng.integers(0, 15, k)]
        x[i, words] = 1.0
    return x, y


def seasonal_series(rng, length, *, period=24, trend=0.002, noise=0.1, features=1):
    """Sine seasonality plus a linear trend plus Gaussian noise, (length, features)."""
    t = np.arange(length, dtype="float64")
    out = []
    for f in range(features):
        phase = rng.uniform(0, 2 * np.pi)
        amplitude = rng.uniform(0.5, 1.5)
        series = (amplitude * np.sin(2 * np.pi * t / period + phase)
                  + 0.5 * np.sin(2 * np.pi * t / (period * 7) + phase / 2)
                  + trend * t * rng.uniform(0.5, 1.5)
                  + noise * rng.standard_normal(length))
        out.append(series)
    return np.stack(out, axis=-1).astype("float32")


def series_classes(rng, n, length, *, n_classes=2, noise=0.5):
    """FordA-like univariate series: the class sets the frequency content.

    Class c is a sum of two sines whose frequencies depend on c (the main
    one with a period of a few to a few tens of steps, so short convolution
    kernels can see it), at random phases, under noise, z-normalised per
    series (as the UCR sets are).

    Returns:
        `(x float32 (n, length), y int64 (n,))`.
    """
    y = rng.integers(0, n_classes, size=n)
    t = np.linspace(0, 1, length)
    x = np.empty((n, length), dtype="float32")
    for i in range(n):
        f1 = 25 + 25 * y[i] + rng.uniform(-2, 2)
        f2 = 11 - 3 * y[i] + rng.uniform(-0.5, 0.5)
        s = (np.sin(2 * np.pi * f1 * t + rng.uniform(0, 6.3))
             + 0.6 * np.sin(2 * np.pi * f2 * t + rng.uniform(0, 6.3))
             + noise * rng.standard_normal(length))
        x[i] = (s - s.mean()) / s.std()
    return x, y.astype("int64")


def heart_table(rng, n=303):
    """A table shaped like the Cleveland heart-disease CSV keras-io uses.

    Numeric columns (age, trestbps, chol, thalach, oldpeak) and categorical
    ones (sex, cp, fbs, restecg, exang, ca as integers; thal as strings), and
    a 0/1 `target` that depends on several of them (about 27% positive, as
    the original).

    Returns:
        `dict` of column name -> numpy array (the target under "target").
    """
    sex = rng.integers(0, 2, n)
    cp = rng.choice([0, 1, 2, 3, 4], n, p=[0.05, 0.15, 0.25, 0.1, 0.45])
    fbs = (rng.random(n) < 0.15).astype("int64")
    restecg = rng.choice([0, 1, 2], n, p=[0.5, 0.02, 0.48])
    exang = (rng.random(n) < 0.33).astype("int64")
    ca = rng.choice([0, 1, 2, 3], n, p=[0.58, 0.22, 0.13, 0.07])
    thal = rng.choice(np.array(["normal", "fixed", "reversible"]), n, p=[0.55, 0.07, 0.38])
    slope = rng.choice([1, 2, 3], n, p=[0.47, 0.46, 0.07])
    age = np.clip(rng.normal(54, 9, n), 29, 77).round().astype("int64")
    trestbps = np.clip(rng.normal(131, 17, n), 94, 200).round().astype("int64")
    chol = np.clip(rng.normal(246, 51, n), 126, 564).round().astype("int64")
    thalach = np.clip(rng.normal(150, 23, n) - 8 * exang, 71, 202).round().astype("int64")
    oldpeak = np.clip(rng.gamma(1.2, 0.9, n), 0, 6.2).round(1)
    score = (0.9 * (cp == 4) + 0.8 * exang + 0.6 * ca + 0.9 * (thal == "reversible")
             + 0.35 * (oldpeak - 1) - 0.02 * (thalach - 150) + 0.4 * sex
             + 0.3 * rng.standard_normal(n))
    target = (score > np.quantile(score, 0.73)).astype("int64")
    return dict(age=age, sex=sex, cp=cp, trestbps=trestbps, chol=chol, fbs=fbs,
                restecg=restecg, thalach=thalach, exang=exang, oldpeak=oldpeak,
                slope=slope, ca=ca, thal=thal, target=target)


def boston_like(rng, n=506):
    """A 13-column table with the Boston-housing columns' raw ranges and a
    price-like target in [5, 50] that depends on them (RM, LSTAT, ...)."""
    crim = np.clip(rng.lognormal(-0.5, 1.6, n), 0.006, 89)
    zn = np.where(rng.random(n) < 0.73, 0.0, rng.uniform(12.5, 100, n))
    indus = rng.uniform(0.46, 27.7, n)
    chas = (rng.random(n) < 0.07).astype("float64")
    nox = rng.uniform(0.385, 0.871, n)
    rm = np.clip(rng.normal(6.28, 0.7, n), 3.56, 8.78)
    age = rng.uniform(2.9, 100, n)
    dis = np.clip(rng.lognormal(1.2, 0.5, n), 1.13, 12.1)
    rad = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 24], n).astype("float64")
    tax = np.clip(rng.normal(408, 168, n), 187, 711)
    ptratio = rng.uniform(12.6, 22, n)
    b = np.clip(396.9 - rng.exponential(25, n), 0.32, 396.9)
    lstat = np.clip(rng.lognormal(2.4, 0.55, n), 1.73, 38)
    x = np.stack([crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, b, lstat], 1)
    price = (22 + 6.5 * (rm - 6.28) - 0.55 * (lstat - 12.6) - 0.9 * (ptratio - 18.5)
             - 0.08 * crim + 2.5 * chas - 0.01 * (tax - 408) + 1.5 * rng.standard_normal(n))
    return x.astype("float32"), np.clip(price, 5, 50).astype("float32")
