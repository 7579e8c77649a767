"""Features that see an input's content, for the model-based label checks.

A linear model on raw token ids cannot see what a text says (id 17 is not
"more" than id 3), and it cannot read strings at all. The label-alignment
check therefore reads each input through a representation of its kind:

- `"tokens"`: hashed bag-of-tokens counts (id 0, the usual padding, left out),
  `log1p`-scaled;
- `"string"`: hashed bag-of-words counts of the text (scikit-learn's
  `HashingVectorizer`), `log1p`-scaled;
- `"image"`: 7x7 block averages;
- `"sequence"`: the mean and standard deviation of each feature over time,
  and its magnitude spectrum in bands (`spectrum`), which sees frequency
  content whatever the phase;
- `"tabular"`: the values, standardised.

Every representation is a float32 `(n, d)` matrix; several inputs are
concatenated, and inputs of the same shape and kind (the two sides of a
siamese pair) also give their elementwise absolute difference, since a label
may be a relation between them ("same class") that neither side carries
alone. Nothing here writes to its inputs.
"""

import numpy as np

HASH_BUCKETS = 1024
"""Buckets of the hashed bag-of-tokens and bag-of-words counts."""


def token_counts(ids, buckets=HASH_BUCKETS):
    """Hashed bag-of-tokens counts `(n, buckets)` of integer token ids `(n, ...)`."""
    ids = np.asarray(ids)
    n = len(ids)
    flat = ids.reshape(n, -1)
    if flat.dtype.kind == "f":
        flat = np.where(np.isfinite(flat), flat, 0)
    flat = flat.astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), flat.shape[1])
    values = flat.ravel()
    keep = values != 0
    # A multiplicative (Knuth) hash, not `id % buckets`: vocabularies are
    # ordered (by frequency, alphabet, or a block per topic), and the modulo
    # puts ids i and i + buckets, from two distant blocks, in one bucket
    # every time; a vocabulary of 2 * buckets split in halves that carry the
    # label then cancels out in every bucket. The hash scatters collisions.
    hashed = (values[keep].astype(np.uint64) * np.uint64(2654435761)) >> np.uint64(7)
    cells = rows[keep] * buckets + (hashed % np.uint64(buckets)).astype(np.int64)
    counts = np.bincount(cells, minlength=n * buckets).reshape(n, buckets)
    return np.log1p(counts.astype(np.float32))


def _texts(values):
    """One text per sample: strings of a row joined by spaces, bytes decoded."""
    values = np.asarray(values, dtype=object)
    rows = values.reshape(len(values), -1)
    out = []
    for row in rows:
        parts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                 for v in row]
        out.append(" ".join(parts))
    return out


def text_counts(values, buckets=HASH_BUCKETS):
    """Hashed bag-of-words counts `(n, buckets)` of string inputs `(n,)` or `(n, k)`."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=buckets, alternate_sign=False, norm=None,
                                   token_pattern=r"(?u)\b\w+\b")
    counts = vectorizer.transform(_texts(values))
    return np.log1p(counts.toarray().astype(np.float32))


def _pooled_image(x, side=7):
    x = np.asarray(x, dtype=np.float32)
    h, w = x.shape[1], x.shape[2]
    fh, fw = max(1, h // side), max(1, w // side)
    oh, ow = h // fh, w // fw
    x = x[:, :oh * fh, :ow * fw]
    return x.reshape((len(x), oh, fh, ow, fw) + x.shape[3:]).mean(axis=(2, 4)).reshape(
        len(x), -1)


SPECTRUM_BANDS = 32
"""Frequency bands of `spectrum` per channel."""


def spectrum(x, bands=SPECTRUM_BANDS):
    """Log magnitude spectrum along axis 1 of `(n, T)` or `(n, T, C)`, in equal bands.

    Returns float32 `(n, bands * C)` (fewer bands when the series is short).
    The magnitude of the Fourier transform does not change when a series is
    shifted in time, so a class set by its frequencies at random phases
    (vibration, audio, ECG windows) is linearly visible here.
    """
    x = np.nan_to_num(np.asarray(x, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    x = x.reshape(len(x), x.shape[1], -1) if x.ndim >= 2 else x.reshape(len(x), 1, 1)
    x = x - x.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(x, axis=1))[:, 1:]  # no DC: the mean is removed
    n_bins = power.shape[1]
    if n_bins == 0:
        return np.zeros((len(x), 0), np.float32)
    edges = np.linspace(0, n_bins, min(bands, n_bins) + 1).astype(int)
    pooled = np.stack([power[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:])
                       if b > a], axis=1)
    return np.log1p(pooled).reshape(len(x), -1).astype(np.float32)


def _standardise(values):
    values = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=0.0,
                           neginf=0.0)
    std = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)


def represent(x, kind):
    """A float32 `(n, d)` representation of input `x` of the given kind."""
    x = np.asarray(x)
    if kind == "tokens":
        return token_counts(x)
    if kind == "string":
        return text_counts(x)
    if kind == "image" and x.ndim >= 3:
        return _standardise(_pooled_image(x))
    if kind == "sequence" and x.ndim == 3:
        values = np.nan_to_num(x.astype(np.float32))
        return _standardise(np.concatenate([values.mean(axis=1), values.std(axis=1),
                                            spectrum(values)], axis=1))
    return _standardise(x.reshape(len(x), -1))


def represent_all(inputs, indices):
    """The representations of `inputs` (list of `(array, kind)`), rows `indices`, side by side."""
    parts = [represent(np.asarray(x[np.sort(indices)])[np.argsort(np.argsort(indices))],
                       kind) for x, kind in inputs]
    shapes = [(tuple(np.shape(x)[1:]), kind) for x, kind in inputs]
    for i in range(len(inputs)):
        for j in range(i + 1, len(inputs)):
            if shapes[i] == shapes[j] and parts[i].shape == parts[j].shape:
                parts.append(np.abs(parts[i] - parts[j]))
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(indices), 1), np.float32)
