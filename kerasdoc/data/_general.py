"""The data audit for inputs that are not one numeric array of images or a table.

Token ids, text, several inputs (dict or list) and several outputs are
audited here, each check on what it applies to:

- value checks (`nonfinite`, `not_normalized`, `distribution_shift`,
  `categorical_scaled`) run per numeric input; `duplicates` and
  `split_leakage` run on whole samples (every input side by side);
  `not_normalized` and `categorical_scaled` skip token ids (integers that
  name words, not magnitudes) and string inputs skip every value check;
- label checks (`label_range`, `class_imbalance`, `unshuffled`,
  `label_misalignment`, `label_noise`) run per classification output, on
  its own targets; the alignment model reads every input through a
  representation that sees its content (`kerasdoc.data._represent`);
  regression and other non-class outputs skip them with the reason;
- target checks (`nonfinite` on the targets, `target_scale`,
  `constant_target`, `multilabel_empty`, `label_imbalance`) run per output
  under that output's own task, so a multi-output model's regression or
  multi-label head gets the checks of its task.

Findings of a model with several inputs or outputs name theirs in the
message and under `evidence["input"]` / `evidence["output"]`.
"""

import numpy as np

from kerasdoc._validation import check_array, check_same_length
from kerasdoc.data._represent import represent_all
from kerasdoc.data._runner import Audit
from kerasdoc.findings import Report

VALUE_CHECKS = ("data.nonfinite", "data.not_normalized", "data.duplicates",
                "data.split_leakage", "data.distribution_shift", "data.categorical_scaled")
LABEL_CHECKS = ("data.nonfinite", "data.label_range", "data.class_imbalance",
                "data.unshuffled", "data.label_misalignment", "data.label_noise")
# Checks that do not apply to an input kind, and why (the registry's "kinds").
KIND_SKIPS = {
    "tokens": {
        "data.not_normalized": ("token ids are integers that name words, not magnitudes: "
                           "they are not normalised"),
        "data.categorical_scaled": "token ids are categories by construction",
    },
}
TARGET_CHECKS = ("data.target_scale", "data.constant_target", "data.multilabel_empty",
                 "data.label_imbalance")
STRING_REASON = "string inputs: the value checks read numbers"
# Checks about whole samples: with several inputs, a sample is a copy of
# another only when every one of its inputs is (one input alone, such as a
# few binary tags, repeats by chance while the samples differ).
SAMPLE_CHECKS = ("data.duplicates", "data.split_leakage")


def joined_samples(inputs):
    """One 2-D float64 array holding every input of each sample, side by side.

    Numbers are flattened per sample (exact for integer ids below 2**53);
    a string input becomes two columns of a 64-bit hash of its row.
    """
    import hashlib

    columns = []
    for _, value in inputs:
        a = np.asarray(value)
        if a.dtype.kind in "OSU":
            rows = a.reshape(len(a), -1)
            digest = np.array([int.from_bytes(hashlib.blake2b(
                repr(row.tolist()).encode(), digest_size=8).digest(), "little")
                for row in rows], dtype=np.uint64)
            columns.append(np.stack([(digest >> np.uint64(32)).astype(np.float64),
                                     (digest & np.uint64(0xFFFFFFFF)).astype(np.float64)],
                                    axis=1))
        else:
            columns.append(a.reshape(len(a), -1).astype(np.float64))
    return np.hstack(columns)


def named(value, name):
    """[(name, array)] of a structure: dict keys, list positions, or the value itself."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(value)]
    return [(None, value)]


def is_class_target(y, task=None):
    """Whether targets `y` are class labels (ids, 0/1, one-hot rows)."""
    if task is not None:
        return task.kind in ("multiclass", "binary")
    y = np.asarray(y)
    if y.dtype.kind in "OSU":
        return False
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    sample = y[:2048]
    if y.ndim == 1:
        if y.dtype.kind in "iub":
            return True
        finite = sample[np.isfinite(sample)]
        return bool(finite.size) and bool(np.all(finite == np.round(finite)))
    if y.ndim == 2:
        return bool(np.all((sample == 0) | (sample == 1))) and bool(
            np.allclose(sample.sum(axis=1), 1))
    return False


def _output_tasks(model, x, y, task=None):
    """{output name: Task}: from `task` when it is a profile, else inferred ({} without a model)."""
    if getattr(task, "outputs", None):
        return dict(task.outputs)
    if task is not None and not isinstance(task, str) and getattr(task, "kind", None):
        return {None: task}
    if model is None:
        return {}
    try:
        from kerasdoc._task import infer_task

        task = infer_task(model, x, y)
    except Exception:  # no task profile (e.g. uncompiled): judge from the targets
        return {}
    if task.outputs:
        return dict(task.outputs)
    return {None: task}


def _tag(findings, what, name):
    if name is None:
        return list(findings)
    label = f"{what.capitalize()} '{name}'"
    return [f.replace(message=f"{label}: {f.message}",
                      evidence={**dict(f.evidence), what: name}) for f in findings]


def audit_general(x_train, y_train, x_test, y_test, *, kinds, model, n_classes,
                  noise_samples, opts):
    """Run the checks that apply to each input and each output; one `Report`."""
    inputs = named(x_train, "x_train")
    tests = named(x_test, "x_test") if x_test is not None else [(n, None) for n, _ in inputs]
    if len(tests) != len(inputs):
        from kerasdoc._errors import InvalidInputError

        raise InvalidInputError(
            f"`x_test` must hold the same inputs as `x_train` ({len(inputs)}). "
            f"Received: {len(tests)} test inputs")
    kind_list = list(kinds.values()) if isinstance(kinds, dict) else (
        list(kinds) if isinstance(kinds, (list, tuple)) else [kinds])
    if isinstance(kinds, dict):
        kind_list = [kinds.get(name, "tabular") for name, _ in inputs]
    outputs = named(y_train, "y_train")
    test_outputs = named(y_test, "y_test") if y_test is not None else [
        (n, None) for n, _ in outputs]
    single = len(inputs) == 1 and len(outputs) == 1
    tasks = _output_tasks(model, x_train, y_train, opts.get("task"))
    findings, ran, skipped, timings = [], [], {}, {}
    n = len(np.asarray(outputs[0][1])) if outputs else None

    def merge(report, what, name):
        suffix = "" if name is None else f" ({what} '{name}')"
        findings.extend(_tag(report, what, name))
        ran.extend(f"{r}{suffix}" for r in report.ran)
        skipped.update({f"{k}{suffix}": v for k, v in report.skipped.items()})
        for k, v in report.timings.items():
            timings[k] = timings.get(k, 0.0) + v

    numeric = []  # (array, kind) for the representations
    per_input = tuple(c for c in VALUE_CHECKS if c not in SAMPLE_CHECKS)
    for (name, xi), (_, xti), kind in zip(inputs, tests, kind_list):
        x_name = "x_train" if name is None else f"x_train[{name!r}]"
        t_name = "x_test" if name is None else f"x_test[{name!r}]"
        numeric.append((xi, kind))
        if kind == "string":
            for check in (per_input if len(inputs) > 1 else VALUE_CHECKS):
                key = check if name is None else f"{check} (input '{name}')"
                skipped[key] = STRING_REASON
            continue
        xi = check_array(xi, x_name, min_ndim=1 if kind == "tokens" else 2)
        if xi.ndim == 1:
            xi = xi.reshape(-1, 1)
        if xti is not None:
            xti = check_array(xti, t_name, min_ndim=xi.ndim)
        if single and is_class_target(outputs[0][1], tasks.get(outputs[0][0])):
            continue  # one input, one classifier output: audited in one pass below
        labels = np.zeros(len(xi), dtype=np.int64)
        test_labels = None if xti is None else np.zeros(len(xti), dtype=np.int64)
        report = Audit(xi, labels, xti, test_labels, None, (), 0, dict(
            opts, only=set(per_input if len(inputs) > 1 else VALUE_CHECKS),
            skip_reasons=KIND_SKIPS.get(kind, {}))).run()
        merge(report, "input", name)
    if len(inputs) > 1:  # copies and leakage of whole samples, every input at once
        whole = joined_samples(inputs)
        whole_test = (joined_samples(tests) if all(t is not None for _, t in tests)
                      else None)
        report = Audit(whole, np.zeros(len(whole), dtype=np.int64), whole_test,
                       None if whole_test is None else np.zeros(len(whole_test), np.int64),
                       None, (), 0, dict(opts, only=set(SAMPLE_CHECKS))).run()
        merge(report, "input", None)

    for (name, yo), (_, yto) in zip(outputs, test_outputs):
        y_name = "y_train" if name is None else f"y_train[{name!r}]"
        yo = check_array(yo, y_name, min_ndim=1)
        task = tasks.get(name) if name is not None else tasks.get(None)
        if yto is not None:
            yto = check_array(yto, "y_test" if name is None else f"y_test[{name!r}]",
                              min_ndim=1)
        if not is_class_target(yo, task):
            why = (f"{task.kind} targets" if task is not None else "continuous targets")
            for check in LABEL_CHECKS[1:]:
                key = check if name is None else f"{check} (output '{name}')"
                skipped[key] = f"{why}: the label checks apply to class labels"
            if task is not None:  # the checks of its own task, on its own targets
                placeholder = np.zeros((len(yo), 1), np.float32)
                report = Audit(placeholder, yo, None, None, None, (), 0, dict(
                    opts, only={"data.nonfinite", *TARGET_CHECKS}), task=task).run()
                merge(report, "output", name)
            continue
        n_k = n_classes if name is None or len(outputs) == 1 else None
        if single and numeric[0][1] != "string":
            # One numeric input (token ids): every check in one pass, the
            # value checks on the ids and the label model on their content.
            xi = np.asarray(inputs[0][1])
            xi = xi.reshape(-1, 1) if xi.ndim == 1 else xi
            xti = tests[0][1]
            if xti is not None:
                xti = np.asarray(xti)
                xti = xti.reshape(-1, 1) if xti.ndim == 1 else xti
            check_same_length(xi, "x_train", yo, "y_train")
            kind = numeric[0][1]
            o = dict(opts, skip_reasons=KIND_SKIPS.get(kind, {}))
            if kind in ("tokens", "string"):
                o["represent"] = lambda idx: represent_all(numeric, idx)
            report = Audit(xi, yo, xti, yto, n_k, (), noise_samples, o).run()
            merge(report, "output", None)
            continue
        placeholder = np.zeros((len(yo), 1), np.float32)
        test_placeholder = None if yto is None else np.zeros((len(yto), 1), np.float32)
        o = dict(opts, only={*LABEL_CHECKS, *TARGET_CHECKS},
                 represent=lambda idx: represent_all(numeric, idx))
        report = Audit(placeholder, yo, test_placeholder, yto, n_k, (), noise_samples,
                       o, task=task).run()
        merge(report, "output", name)
    del n
    task = opts.get("task")
    return Report(findings, ran=list(dict.fromkeys(ran)), skipped=skipped,
                  timings=timings, title="kerasdoc data audit",
                  task=task if callable(getattr(task, "describe", None)) else None)
