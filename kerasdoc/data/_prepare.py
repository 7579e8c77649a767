"""Shared preparation for the data audit: labels, one chunked pass, embeddings.

Everything here reads its inputs and never writes to them. Arrays (including
memory-mapped ones) are read `chunk_size` rows at a time and converted to
float32 per chunk, so an audit never materialises a whole array as float64.
"""

import dataclasses
import hashlib

import numpy as np


@dataclasses.dataclass
class Labels:
    """Labels decoded to class ids, with what was wrong with them."""

    ids: np.ndarray  # int64 class ids (-1 where a label could not be decoded)
    n_classes: int
    one_hot: bool
    nonfinite_rows: np.ndarray
    out_of_range_rows: np.ndarray
    bad_one_hot_rows: np.ndarray
    non_integer_rows: np.ndarray

    @property
    def valid(self):
        return self.ids >= 0


def decode_labels(y, n_classes=None):
    """Class ids from integer labels `(N,)`/`(N, 1)` or one-hot/probability rows `(N, K)`."""
    y = np.asarray(y)
    empty = np.zeros(0, dtype=np.int64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        values = y.astype(np.float32, copy=False)
        finite = np.isfinite(values).all(axis=1)
        row_sum = np.where(finite[:, None], values, 0).sum(axis=1)
        bad = finite & ((np.abs(row_sum - 1) > 1e-3) | (values.min(axis=1) < -1e-6))
        ids = np.where(finite & ~bad, np.argmax(np.where(finite[:, None], values, 0), axis=1), -1)
        return Labels(ids.astype(np.int64), int(y.shape[1]), True,
                      np.flatnonzero(~finite), empty, np.flatnonzero(bad), empty)
    if np.issubdtype(y.dtype, np.integer):  # no float64 copy of millions of ids
        ids = y.astype(np.int64)
        observed = int(ids.max()) + 1 if ids.size and ids.max() >= 0 else 0
        k = int(n_classes) if n_classes is not None else observed
        out = (ids < 0) | (ids >= k)
        ids[out] = -1
        return Labels(ids, k, False, empty, np.flatnonzero(out), empty, empty)
    values = y.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    integral = finite & (np.floor(np.where(finite, values, 0)) == values)
    ids = np.where(integral, values, -1).astype(np.int64)
    non_integer = finite & ~integral
    observed = int(ids.max()) + 1 if ids.size and ids.max() >= 0 else 0
    k = int(n_classes) if n_classes is not None else observed
    out = integral & ((ids < 0) | (ids >= k))
    ids[out] = -1
    return Labels(ids, k, False, np.flatnonzero(~finite), np.flatnonzero(out),
                  empty, np.flatnonzero(non_integer))


def decode_values(y):
    """`Labels` of targets that are values, not classes (regression, reconstruction).

    No class ids are read (every id is -1), so nothing downstream counts one
    class per distinct value; only non-finite rows are found.
    """
    y = np.asarray(y)
    empty = np.zeros(0, dtype=np.int64)
    values = y.reshape(len(y), -1) if y.ndim > 1 else y.reshape(-1, 1)
    if np.issubdtype(values.dtype, np.number) and not np.issubdtype(values.dtype,
                                                                     np.integer):
        nonfinite = np.flatnonzero(~np.isfinite(values).all(axis=1))
    else:
        nonfinite = empty
    return Labels(np.full(len(y), -1, dtype=np.int64), 0, False, nonfinite, empty, empty,
                  empty)


@dataclasses.dataclass
class ArrayStats:
    """Statistics of one input array from a single chunked pass."""

    n: int
    n_features: int
    is_image: bool
    is_float: bool
    nonfinite_rows: np.ndarray
    nonfinite_count: int
    feature_min: np.ndarray
    feature_max: np.ndarray
    feature_mean: np.ndarray
    feature_std: np.ndarray
    row_hashes: np.ndarray  # uint64, one per sample

    @property
    def finite_min(self):
        return float(np.nanmin(self.feature_min))

    @property
    def finite_max(self):
        return float(np.nanmax(self.feature_max))


def iter_chunks(x, chunk_size):
    """(start, float32 2-D chunk, raw chunk) for consecutive row blocks of `x`."""
    n = len(x)
    for start in range(0, n, chunk_size):
        raw = np.asarray(x[start:start + chunk_size])
        yield start, raw.reshape(len(raw), -1).astype(np.float32, copy=False), raw


def _row_hashes(raw):
    flat = np.ascontiguousarray(raw).reshape(len(raw), -1)
    view = flat.view(np.uint8).reshape(len(raw), -1)
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(row.data, digest_size=8).digest(), "little")
         for row in view),
        dtype=np.uint64, count=len(raw))


def scan(x, *, chunk_size):
    """One pass over `x`: non-finite rows, per-feature min/max/mean/std, row hashes."""
    n = len(x)
    n_features = int(np.prod(x.shape[1:], dtype=np.int64)) if x.ndim > 1 else 1
    is_float = np.issubdtype(x.dtype, np.floating)
    fmin = np.full(n_features, np.inf)
    fmax = np.full(n_features, -np.inf)
    total = np.zeros(n_features)
    total_sq = np.zeros(n_features)
    count = np.zeros(n_features)
    hashes = np.empty(n, dtype=np.uint64)
    bad_rows = []
    nonfinite = 0
    for start, chunk, raw in iter_chunks(x, chunk_size):
        hashes[start:start + len(chunk)] = _row_hashes(raw)
        if is_float:
            finite = np.isfinite(chunk)
            if not finite.all():
                row_bad = ~finite.all(axis=1)
                bad_rows.append(start + np.flatnonzero(row_bad))
                nonfinite += int((~finite).sum())
                chunk = np.where(finite, chunk, np.nan)
                fmin = np.fmin(fmin, np.nanmin(np.where(finite, chunk, np.inf), axis=0))
                fmax = np.fmax(fmax, np.nanmax(np.where(finite, chunk, -np.inf), axis=0))
                total += np.nansum(chunk, axis=0, dtype=np.float64)
                total_sq += np.nansum(np.square(chunk, dtype=np.float64), axis=0)
                count += finite.sum(axis=0)
                continue
        fmin = np.minimum(fmin, chunk.min(axis=0))
        fmax = np.maximum(fmax, chunk.max(axis=0))
        total += chunk.sum(axis=0, dtype=np.float64)
        total_sq += np.einsum("ij,ij->j", chunk, chunk, dtype=np.float64)
        count += len(chunk)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
    fmin[np.isinf(fmin)] = np.nan
    fmax[np.isinf(fmax)] = np.nan
    rows = np.concatenate(bad_rows) if bad_rows else np.zeros(0, dtype=np.int64)
    return ArrayStats(n, n_features, x.ndim >= 3, is_float, rows, nonfinite,
                      fmin, fmax, mean, std, hashes)


def image_embedding(x, *, chunk_size, side=7, normalise=True):
    """Block-averaged images, centred and L2-normalised per sample (float32).

    Images `(N, H, W[, C])` are averaged over blocks of `H // side` pixels, so
    the embedding ignores brightness and contrast and small pixel noise: two
    copies of one photo land next to each other.
    """
    h, w = x.shape[1], x.shape[2]
    fh, fw = max(1, h // side), max(1, w // side)
    oh, ow = h // fh, w // fw
    emb = None  # filled in place: no list of parts concatenated at the end
    for start, _, raw in iter_chunks(x, chunk_size):
        raw = raw[:, :oh * fh, :ow * fw].astype(np.float32)
        shape = (len(raw), oh, fh, ow, fw) + raw.shape[3:]
        pooled = raw.reshape(shape).mean(axis=(2, 4)).reshape(len(raw), -1)
        if emb is None:
            emb = np.empty((len(x), pooled.shape[1]), np.float32)
        emb[start:start + len(raw)] = pooled
    if emb is None:
        emb = np.zeros((0, 1), np.float32)
    return normalise_rows(emb) if normalise else emb


def normalise_rows(values):
    """Rows centred and scaled to unit norm (NaN treated as 0; zero rows stay 0)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0,
                           posinf=0.0, neginf=0.0)
    values = values - values.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(values, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return values / norm


class _Rows:
    """Array-like view of selected rows of `x`, read lazily chunk by chunk."""

    def __init__(self, x, indices):
        self._x, self._indices = x, np.asarray(indices)
        self.shape = (len(self._indices),) + tuple(x.shape[1:])

    def __len__(self):
        return len(self._indices)

    def __getitem__(self, item):
        return np.asarray(self._x[np.sort(self._indices[item])])[
            np.argsort(np.argsort(self._indices[item]))]


def tabular_rows(x, stats, indices, *, chunk_size):
    """Rows `indices` of a tabular `x`, standardised with the scan's statistics (float32)."""
    mean = np.nan_to_num(stats.feature_mean).astype(np.float32)
    scale = np.where(stats.feature_std > 0, stats.feature_std, 1.0).astype(np.float32)
    parts = []
    for _, chunk, _ in iter_chunks(_Rows(x, indices), chunk_size):
        parts.append((np.where(np.isfinite(chunk), chunk, mean) - mean) / scale)
    return np.concatenate(parts) if parts else np.zeros((0, len(mean)), np.float32)


def pca_features(values, *, n_components=30, seed=0, fit_rows=5000):
    """Whitened PCA (scikit-learn) of `values`, fitted on at most `fit_rows` rows.

    Decorrelated, unit-variance features make the logistic regressions of
    the model-based checks converge in a few dozen iterations.
    """
    from sklearn.decomposition import PCA

    values = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0,
                           posinf=0.0, neginf=0.0)
    k = min(n_components, values.shape[1], len(values))
    rows = sample_indices(len(values), fit_rows, seed)
    pca = PCA(n_components=k, whiten=True, random_state=seed).fit(values[rows])
    return pca.transform(values).astype(np.float32)


def sample_indices(n, size, seed):
    """Sorted seeded sample of `min(n, size)` indices of `range(n)`."""
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
