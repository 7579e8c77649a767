"""`check_data`: every `data.*` check on a train (and optional test) split."""

import numbers
from typing import Iterable, Optional, Union

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import (check_array, check_float, check_int,
                                  check_same_length, received)
from kerasdoc._inputs import INPUT_KINDS, input_kind, is_stream, sample_fit_data
from kerasdoc.data._runner import Audit
from kerasdoc.findings import Report

__all__ = ["check_data"]

_DATA_ARGS = ("x_train", "y_train", "x_test", "y_test")


def check_data(
    x_train,
    y_train=None,
    *,
    x_test=None,
    y_test=None,
    sample_weight=None,
    class_weight=None,
    model=None,
    input_kinds=None,
    max_samples: int = 100_000,
    n_classes: Optional[int] = None,
    categorical_columns: Optional[Iterable[int]] = None,
    max_magnitude: float = 10.0,
    scale_ratio: float = 100.0,
    min_information: float = 0.1,
    imbalance_ratio: float = 10.0,
    duplicate_fraction: float = 0.01,
    leakage_fraction: float = 0.005,
    near_duplicate_similarity: float = 0.999,
    class_shift: float = 0.1,
    shift_auc: float = 0.75,
    shift_samples: int = 2000,
    run_ratio: float = 3.0,
    batch_size: int = 32,
    shuffle: Optional[bool] = None,
    label_noise: Union[bool, int] = False,
    label_noise_confidence: float = 0.02,
    label_noise_fraction: float = 0.03,
    model_samples: int = 5000,
    chunk_size: int = 8192,
    seed: int = 0,
    settings: Optional[dict] = None,
    task=None,
) -> Report:
    """Audit classification data before training: every `data.*` check.

    Works on images `(N, H, W[, C])` and tabular `(N, F)` arrays, integer
    labels `(N,)` or one-hot rows `(N, K)`, memory-mapped arrays (read in
    chunks of `chunk_size` rows, never converted whole to float64), and
    `tf.data.Dataset`s of `(x, y)` elements or batches (streamed once into a
    temporary memory-mapped file, removed afterwards). Inputs are never
    modified. Memory: besides `chunk_size` rows at a time, the audit needs
    about 60 bytes per sample at its peak (row hashes, class ids and their
    sorting; measured on 10 million 28x28 images), whatever the size of a
    sample; with `x_test`, the cross-split near-duplicate search also holds
    a 7x7 block-averaged copy of every image of both splits (196 bytes each). Model-based checks (label misalignment, label noise, input
    shift) fit small scikit-learn models on seeded samples; they need at least
    `max(50, 4 * n_classes)` labelled samples (20 per split for the shift) and
    are listed in `report.skipped` otherwise. Near-duplicates are searched
    for images; tabular rows are compared exactly.

    Args:
        x_train: training inputs as `model.fit` takes them: an array
            `(N, ...)`, a dict or list of arrays (several inputs), or a stream
            (`tf.data.Dataset`, batched or not, `keras.utils.PyDataset` or a
            generator) yielding `(x, y)` or `(x, y, sample_weight)`, read for
            at most `max_samples` samples (see
            `kerasdoc._inputs.sample_fit_data`).
        y_train: training labels, `(N,)` class ids or `(N, K)` one-hot, or a
            dict or list of targets (several outputs: each is audited on its
            own, regression outputs skip the label checks); `None` when
            `x_train` is a stream. Defaults to `None`.
        x_test: test or validation inputs, same per-sample shape as `x_train`,
            or a stream like `x_train`.
            Enables `data.split_leakage` and `data.distribution_shift`.
            Defaults to `None`.
        y_test: labels of `x_test`. Defaults to `None`.
        sample_weight: per-sample weights of `x_train`, as `fit` takes them.
            With `class_weight`, they decide `data.class_imbalance`: an
            imbalance the weights compensate is not reported. Defaults to
            `None`.
        class_weight: dict of class id to weight, as `fit` takes it.
            Defaults to `None`.
        model: the model the data feeds; it tells each input's kind
            (`kerasdoc._inputs.input_kind`: integers into an `Embedding` are
            token ids). Defaults to `None` (judged from the data).
        input_kinds: each input's kind, overriding the inference: one of
            `"image"`, `"tabular"`, `"tokens"`, `"sequence"`, `"string"`, or a
            dict/list of them. Token ids skip `not_normalized` and
            `categorical_scaled`, strings every value check, and the label
            checks read both through hashed bag-of-tokens counts. Defaults to
            `None` (inferred).
        max_samples: samples read from a stream. Defaults to `100000`.
        n_classes: number of classes the model predicts (its output units).
            Defaults to `None` (inferred from the labels).
        categorical_columns: tabular column indices that hold categories; they
            are flagged when they hold scaled (non-integer) values. Two-valued
            columns are checked either way. Defaults to `None`.
        max_magnitude: `data.not_normalized` fires when the inputs' RMS over
            all features, `sqrt(mean_i E[x_i^2])`, exceeds this: the factor by
            which the first layer's pre-activations exceed the unit scale its
            initialiser (Glorot, He) designs for (raw 0-255 pixels reach ~100,
            counts 0..16 ~8). Defaults to `10.0`.
        scale_ratio: `data.not_normalized` fires when the widest tabular feature
            range is this many times the narrowest. Defaults to `100.0`.
        min_information: `data.label_misalignment` fires when neither a
            linear model nor k nearest neighbours (which read labels that are
            a non-linear function of the inputs) has out-of-sample information
            about the labels above this: per model, the largest of three
            chance-corrected scores (balanced accuracy
            against 1/C, log-loss gain over the class frequencies, and
            2 * macro one-vs-rest ROC AUC - 1), each 0 at chance and 1 when
            perfect, so class imbalance does not pass for misalignment.
            Defaults to `0.1`.
        imbalance_ratio: `data.class_imbalance` fires above this largest/smallest
            class count ratio. Defaults to `10.0`.
        duplicate_fraction: `data.duplicates` fires when exact extra copies
            exceed this fraction of a split. Defaults to `0.01`.
        leakage_fraction: `data.split_leakage` is an error when more than this
            fraction of the test set has a (near-)copy in train, a warning below.
            Defaults to `0.005`.
        near_duplicate_similarity: two images are near-duplicates when their
            full-resolution centred cosine similarity reaches this. Defaults to
            `0.999`.
        class_shift: `data.distribution_shift` fires when the train and test
            class frequencies differ by more than this total variation.
            Defaults to `0.1`.
        shift_auc: `data.distribution_shift` fires when a domain classifier
            separates train from test inputs with a cross-validated ROC AUC
            above this. Defaults to `0.75`.
        shift_samples: samples per split given to the domain classifier.
            Defaults to `2000`.
        run_ratio: `data.unshuffled` fires when the mean run of equal
            consecutive labels is this many times longer than in a random order.
            Defaults to `3.0`.
        batch_size: batch size used to count single-class batches in the
            `data.unshuffled` evidence. Defaults to `32`.
        shuffle: whether training shuffles the samples each epoch. `fit`
            does for arrays (its `shuffle=True` default), so data sorted by
            label is then reported at info: its order still decides what
            `validation_split` takes (the last samples, before shuffling).
            `fit` never shuffles a stream (`tf.data.Dataset` without its own
            `.shuffle()`, `PyDataset`, generator) and `fit(shuffle=False)`
            does not either: sorted labels are then a warning. Defaults to
            `None`: `True` for arrays, `False` for a stream.
        label_noise: run `data.label_noise`: `True` on every training sample,
            an int on a seeded sample of that many, `False` to skip. Off by
            default: on 60,000 FashionMNIST images it costs about as much as the
            rest of the audit, and the cheap model's confident mistakes on small
            clean datasets make its count less reliable there. Defaults to `False`.
        label_noise_confidence: a sample is a suspect when the out-of-sample
            probability of its given label is below this. Defaults to `0.02`.
        label_noise_fraction: `data.label_noise` fires when suspects exceed
            this fraction of the checked samples. Defaults to `0.03`.
        model_samples: seeded sample size for the label-misalignment model.
            Defaults to `5000`.
        chunk_size: rows read (and, for a dataset, written) at a time for the
            statistics and hashes; peak memory grows with it. Defaults to `8192`.
        seed: seed of every sample and model. Defaults to `0`.
        settings: `{check name: {setting: value}}` for the data checks (see
            `kerasdoc.checks("data")`), e.g.
            `{"data.class_imbalance": {"imbalance_ratio": 20}}`. The threshold
            keywords above are aliases of these settings and win when set to
            another value than their default. Defaults to `None`.
        task: the task (a `kerasdoc.Task` or a kind name); a check that does
            not apply to it (e.g. class imbalance on regression targets) is
            skipped with that reason. Defaults to `None`: inferred by
            `kerasdoc.infer_task` from `model` when given, else from the
            targets alone (real-valued targets are regression, multi-hot
            rows multi-label, `y_train` equal to `x_train` reconstruction; see
            `kerasdoc._task.task_from_targets`). With several inputs or
            outputs and no model the task stays unknown and every check runs.

    Returns:
        A `Report` of `data.*` findings with per-check `timings`, the checks
        that `ran`, and the ones `skipped` with the reason.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 256, size=(200, 8, 8)).astype("uint8")
    >>> report = check_data(x, np.repeat(np.arange(2), 100))
    >>> sorted(report.codes)
    ['data.label_misalignment', 'data.not_normalized', 'data.unshuffled']
    """
    max_samples = check_int(max_samples, "max_samples", minimum=1)
    if is_stream(x_train) or is_stream(x_test):
        given = dict(locals())  # the arguments (and max_samples, checked)
        options = {k: v for k, v in given.items() if k not in _DATA_ARGS + (
            "given", "sample_weight")}
        if shuffle is None:  # fit does not shuffle what a stream yields
            options["shuffle"] = not is_stream(x_train)
        train = sample_fit_data(x_train, y_train, sample_weight=sample_weight,
                                max_samples=max_samples, name="x_train", y_name="y_train")
        _require_targets(train, "x_train", x_train)
        test = None
        if x_test is not None:
            test = sample_fit_data(x_test, y_test, max_samples=max_samples,
                                   name="x_test", y_name="y_test")
        report = check_data(train.x, train.y, x_test=None if test is None else test.x,
                            y_test=None if test is None else test.y,
                            sample_weight=train.sample_weight, **options)
        for part in (train, test):
            if part is not None and part.note:
                report.skipped.setdefault("stream", part.note)
        return report
    if y_train is None:
        raise InvalidInputError(
            "`y_train` is required when `x_train` is an array. Received: y_train=None")
    if y_test is not None and x_test is None:
        raise InvalidInputError(f"`y_test` needs `x_test`. {received('x_test', x_test)}")
    train = sample_fit_data(x_train, y_train, sample_weight=sample_weight,
                            class_weight=class_weight, name="x_train", y_name="y_train")
    kinds = _kinds(input_kinds, model, train.x)
    structured = isinstance(train.x, (dict, list)) or isinstance(train.y, (dict, list))
    task = _task(task, model, train.x, train.y, structured)
    single_kind = kinds if isinstance(kinds, str) else None
    resolved = _settings(settings, locals())
    if structured or single_kind in ("tokens", "string"):
        return _general(train, x_test, y_test, kinds, model, n_classes, categorical_columns,
                        label_noise, chunk_size=chunk_size, seed=seed, settings=resolved,
                        task=task, shuffle=_check_shuffle(shuffle))
    x_train = check_array(train.x, "x_train", min_ndim=2)
    # Class labels are (N,) ids or (N, K) rows; targets that are values
    # (reconstruction of images or sequences, per-step targets) may have any rank.
    from kerasdoc._registry import SINGLE_LABEL, task_kinds

    kinds = task_kinds(task)
    y_rank = 2 if kinds is None or set(kinds) & set(SINGLE_LABEL) else None
    y_train = check_array(train.y, "y_train", min_ndim=1, max_ndim=y_rank)
    check_same_length(x_train, "x_train", y_train, "y_train")
    if x_test is not None:
        x_test = check_array(x_test, "x_test", min_ndim=2)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise InvalidInputError(
                "`x_test` must have the per-sample shape of `x_train` "
                f"{x_train.shape[1:]}. Received: x_test.shape={x_test.shape}")
    if y_test is not None:
        y_test = check_array(y_test, "y_test", min_ndim=1, max_ndim=y_rank)
        check_same_length(x_test, "x_test", y_test, "y_test")
    n_classes = check_int(n_classes, "n_classes", minimum=2, allow_none=True)
    columns = _check_columns(categorical_columns, x_train)
    opts = dict(
        chunk_size=check_int(chunk_size, "chunk_size", minimum=1),
        seed=check_int(seed, "seed", minimum=0),
        sample_weight=train.sample_weight, class_weight=train.class_weight,
        shuffle=_check_shuffle(shuffle),
    )
    noise_samples = _noise_samples(label_noise)
    return Audit(x_train, y_train, x_test, y_test, n_classes, columns,
                 noise_samples, opts, settings=resolved, task=task,
                 input_kind=single_kind).run()


def _task(task, model, x, y, structured):
    """The audit's task: as given (validated), or inferred."""
    from kerasdoc._registry import check_task
    from kerasdoc._task import resolve_task, task_from_targets

    if task is not None:
        if isinstance(task, str):
            return resolve_task(task, model, x, y) if model is not None else \
                resolve_task(task, None, None if structured else x,
                             None if structured else y)
        return check_task(task)
    if model is not None:
        return resolve_task(None, model, x, y)
    if structured:
        return None  # no model to tell the outputs apart: unknown
    return task_from_targets(x, y)


def _settings(settings, given):
    """The data checks' settings: `settings` with the threshold keywords as aliases.

    The keywords keep their own validation (errors name the keyword).
    """
    from kerasdoc._registry import resolve_settings

    g = given
    aliases = {
        "data.not_normalized": {
            "max_magnitude": check_float(g["max_magnitude"], "max_magnitude", minimum=0),
            "scale_ratio": check_float(g["scale_ratio"], "scale_ratio", minimum=1)},
        "data.label_misalignment": {
            "min_information": check_float(g["min_information"], "min_information",
                                           minimum=0, maximum=1),
            "model_samples": check_int(g["model_samples"], "model_samples", minimum=20)},
        "data.class_imbalance": {
            "imbalance_ratio": check_float(g["imbalance_ratio"], "imbalance_ratio",
                                           minimum=1)},
        "data.duplicates": {
            "duplicate_fraction": check_float(g["duplicate_fraction"], "duplicate_fraction",
                                              minimum=0, maximum=1)},
        "data.split_leakage": {
            "leakage_fraction": check_float(g["leakage_fraction"], "leakage_fraction",
                                            minimum=0, maximum=1),
            "near_duplicate_similarity": check_float(
                g["near_duplicate_similarity"], "near_duplicate_similarity",
                minimum=0, maximum=1)},
        "data.distribution_shift": {
            "class_shift": check_float(g["class_shift"], "class_shift", minimum=0,
                                       maximum=1),
            "shift_auc": check_float(g["shift_auc"], "shift_auc", minimum=0.5, maximum=1),
            "shift_samples": check_int(g["shift_samples"], "shift_samples", minimum=20)},
        "data.unshuffled": {
            "run_ratio": check_float(g["run_ratio"], "run_ratio", minimum=1),
            "batch_size": check_int(g["batch_size"], "batch_size", minimum=1)},
        "data.label_noise": {
            "confidence": check_float(g["label_noise_confidence"], "label_noise_confidence",
                                      minimum=0, maximum=1),
            "fraction": check_float(g["label_noise_fraction"], "label_noise_fraction",
                                    minimum=0, maximum=1)},
    }
    return resolve_settings(settings, overrides=aliases, part="data")


def _noise_samples(label_noise):
    if isinstance(label_noise, bool):
        return None if label_noise else 0
    if isinstance(label_noise, numbers.Integral):
        return check_int(label_noise, "label_noise", minimum=20)
    raise InvalidTypeError(
        f"`label_noise` must be True, False or a sample size. "
        f"{received('label_noise', label_noise)}")


def _require_targets(data, name, given):
    if data.y is None:
        raise InvalidInputError(
            f"`{name}` must yield (x, y) pairs (or batches of them) to be audited: it "
            f"yielded inputs only. {received(name, given)}")


def _kinds(input_kinds, model, x):
    """The input kinds: as given (validated), or inferred by `input_kind`."""
    if input_kinds is None:
        return input_kind(model, x)
    values = (list(input_kinds.values()) if isinstance(input_kinds, dict)
              else [input_kinds] if isinstance(input_kinds, str) else list(input_kinds))
    bad = [v for v in values if v not in INPUT_KINDS]
    if bad:
        raise InvalidInputError(
            f"`input_kinds` must name kinds from {INPUT_KINDS}. "
            f"{received('input_kinds', input_kinds)}")
    return input_kinds


def _check_shuffle(shuffle):
    """`shuffle` validated; `None` (arrays here: a stream was read above) is `True`."""
    if shuffle is None:
        return True
    if not isinstance(shuffle, bool):
        raise InvalidTypeError(
            f"`shuffle` must be True, False or None. {received('shuffle', shuffle)}")
    return shuffle


def _general(train, x_test, y_test, kinds, model, n_classes, columns, label_noise, *,
             chunk_size, seed, settings, task, shuffle=True):
    """Several inputs or outputs, token ids or text: see `kerasdoc.data._general`."""
    from kerasdoc.data._general import audit_general

    if columns is not None:
        raise InvalidInputError(
            "`categorical_columns` applies to one tabular (N, F) input. "
            f"{received('categorical_columns', columns)}")
    opts = dict(
        chunk_size=check_int(chunk_size, "chunk_size", minimum=1),
        seed=check_int(seed, "seed", minimum=0),
        sample_weight=None if isinstance(train.sample_weight, (dict, list))
        else train.sample_weight,
        class_weight=train.class_weight,
        settings=settings, task=task, shuffle=shuffle,
    )
    if x_test is not None:
        x_test = sample_fit_data(x_test, y_test, name="x_test", y_name="y_test")
        x_test, y_test = x_test.x, x_test.y
    n_classes = check_int(n_classes, "n_classes", minimum=2, allow_none=True)
    return audit_general(train.x, train.y, x_test, y_test, kinds=kinds, model=model,
                         n_classes=n_classes, noise_samples=_noise_samples(label_noise),
                         opts=opts)


def _check_columns(columns, x_train):
    if columns is None:
        return ()
    if x_train.ndim != 2:
        raise InvalidInputError(
            "`categorical_columns` applies to tabular (N, F) inputs only. "
            f"Received: x_train.shape={x_train.shape}")
    try:
        columns = tuple(int(c) for c in columns)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            "`categorical_columns` must be column indices. "
            f"{received('categorical_columns', columns)}") from None
    bad = [c for c in columns if not 0 <= c < x_train.shape[1]]
    if bad:
        raise InvalidInputError(
            f"`categorical_columns` must lie in [0, {x_train.shape[1]}). "
            f"Received: categorical_columns={list(columns)}")
    return columns
