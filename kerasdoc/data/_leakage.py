"""Duplicates inside a split (`data.duplicates`) and across splits (`data.split_leakage`).

Exact duplicates come from 64-bit row hashes (computed in the chunked scan)
and are confirmed byte for byte. Near-duplicates (two photos of one object,
frames of one video) are searched for images only: each test image's nearest
training image in a block-averaged, brightness-normalised embedding
(scikit-learn `NearestNeighbors`) is a candidate, confirmed when the
full-resolution centred cosine similarity reaches `near_duplicate_similarity`.
"""

import numpy as np

from kerasdoc.data._prepare import image_embedding, normalise_rows
from kerasdoc.findings import Finding

_SHOW = 10


def _groups(hashes):
    """Groups of indices sharing a hash (each group sorted, size >= 2)."""
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_h[1:] != sorted_h[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    groups = [np.sort(order[s:s + k]) for s, k in zip(starts, sizes) if k > 1]
    return sorted(groups, key=lambda g: g[0])


def _same(x, i, j):
    return np.array_equal(np.asarray(x[i]), np.asarray(x[j]))


def check_duplicates(x, stats, y, split, *, duplicate_fraction):
    """Warning when more than `duplicate_fraction` of a split are exact copies."""
    groups = [g for g in _groups(stats.row_hashes) if _same(x, g[0], g[1])]
    extra = sum(len(g) - 1 for g in groups)
    if not stats.n or extra / stats.n <= duplicate_fraction:
        return []
    conflicting = [g for g in groups if y is not None and len(np.unique(y[g])) > 1]
    return [Finding(
        "data.duplicates",
        message=(f"{extra} samples of x_{split} ({extra / stats.n:.1%}) are exact copies "
                 f"of other samples ({len(groups)} groups)."),
        evidence={"split": split, "n_extra_copies": extra, "n_groups": len(groups),
                  "fraction": extra / stats.n, "duplicate_fraction": duplicate_fraction,
                  "groups": [g[:_SHOW].tolist() for g in groups[:_SHOW]],
                  "n_groups_with_conflicting_labels": len(conflicting),
                  "conflicting_groups": [g[:_SHOW].tolist() for g in conflicting[:_SHOW]]},
        fix=("Remove the copies (keep one per group), and drop or relabel groups whose "
             "copies carry different labels; copies over-weight those samples."))]


def exact_cross_pairs(x_train, train_stats, x_test, test_stats):
    """(test_index, train_index) pairs of byte-identical samples."""
    lookup = {}
    for i, h in enumerate(train_stats.row_hashes.tolist()):
        lookup.setdefault(h, i)
    pairs = []
    for t, h in enumerate(test_stats.row_hashes.tolist()):
        i = lookup.get(h)
        if i is not None and np.array_equal(np.asarray(x_test[t]), np.asarray(x_train[i])):
            pairs.append((t, i))
    return pairs


def near_cross_pairs(x_train, x_test, *, similarity, chunk_size, exclude=(),
                     train_emb=None, test_emb=None):
    """(test_index, train_index, similarity) for near-duplicate images.

    `train_emb`/`test_emb` are the block-averaged images of `image_embedding`
    (computed when not given).
    """
    from sklearn.neighbors import NearestNeighbors

    if train_emb is None:
        train_emb = image_embedding(x_train, chunk_size=chunk_size, normalise=False)
    if test_emb is None:
        test_emb = image_embedding(x_test, chunk_size=chunk_size, normalise=False)
    train_emb, test_emb = normalise_rows(train_emb), normalise_rows(test_emb)
    # candidates: embedding distance up to twice the full-resolution limit
    radius = 2.0 * np.sqrt(max(2.0 * (1.0 - similarity), 0.0)) + 1e-6
    index = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(train_emb)
    dist, nearest = index.kneighbors(test_emb)
    skip = set(exclude)
    candidates = [t for t in np.flatnonzero(dist[:, 0] <= radius) if t not in skip]
    pairs = []
    for start in range(0, len(candidates), chunk_size):
        block = np.asarray(candidates[start:start + chunk_size])
        a = normalise_rows(np.asarray(x_test[np.sort(block)]).reshape(len(block), -1))
        partner = nearest[np.sort(block), 0]
        order = np.argsort(partner)
        b = np.empty_like(a)
        b[order] = normalise_rows(
            np.asarray(x_train[partner[order]]).reshape(len(block), -1))
        sims = np.einsum("ij,ij->i", a, b)
        for t, i, s in zip(np.sort(block), partner, sims):
            if s >= similarity:
                pairs.append((int(t), int(i), float(s)))
    return pairs


def check_split_leakage(exact, near, n_test, *, y_train, y_test, leakage_fraction,
                        similarity):
    """Error when more than `leakage_fraction` of the test set also sits in train.

    Below that, a warning only when the leak can move the test accuracy by
    more than that accuracy's own sampling noise: copied samples change it
    by at most `fraction`, while its standard error on `n_test` samples is
    up to `0.5 / sqrt(n_test)` (1.1% on 2,000 samples). One near-duplicate
    among 2,000 test images (0.05%), which real image sets such as MNIST
    and FashionMNIST hold, is info.
    """
    leaked = sorted({t for t, _ in exact} | {t for t, _, _ in near})
    if not leaked:
        return []
    fraction = len(leaked) / n_test
    noise = 0.5 / np.sqrt(n_test)
    severity = ("error" if fraction > leakage_fraction else
                "warning" if fraction > noise else "info")
    pairs = ([{"test": t, "train": i, "similarity": 1.0, "exact": True} for t, i in exact]
             + [{"test": t, "train": i, "similarity": round(s, 5), "exact": False}
                for t, i, s in sorted(near, key=lambda p: -p[2])])
    same_label = None
    if y_train is not None and y_test is not None:
        same_label = int(sum(y_test[p["test"]] == y_train[p["train"]] for p in pairs))
    scale = ("enough to inflate test scores" if severity == "error" else
             f"too few to move test accuracy by more than {fraction:.2%}, but worth removing"
             if severity == "warning" else
             f"too few to move test accuracy by more than {fraction:.2%}, below its "
             f"sampling noise ({noise:.1%} on {n_test} samples)")
    return [Finding(
        "data.split_leakage", severity=severity,
        message=(f"{len(leaked)} test samples ({fraction:.2%}) have an identical "
                 f"({len(exact)}) or near-identical ({len(near)}) sample in x_train, "
                 f"{scale}."),
        evidence={"n_leaked": len(leaked), "fraction": fraction,
                  "n_exact": len(exact), "n_near": len(near),
                  "leakage_fraction": leakage_fraction,
                  "accuracy_standard_error": float(noise),
                  "near_duplicate_similarity": similarity,
                  "pairs_with_same_label": same_label,
                  "test_indices": leaked, "pairs": pairs[:_SHOW]},
        fix=("Split by source (object, patient, video) rather than by sample, e.g. "
             "sklearn.model_selection.GroupShuffleSplit, and drop the listed test "
             "samples or their training copies."))]
