"""Fold downstream symptoms into the root cause that explains them.

One mistake is seen by several checks: raw 0-255 pixels are flagged by the
data audit (`data.not_normalized`), then show up as a huge initial loss in the
probes and as exploding gradients and saturated logits during training.
Reported side by side, the symptom with the worst severity comes first and
its fix ("lower the learning rate") points away from the cause. `fold_symptoms`
reports the cause once, at the worst severity any of its symptoms reached,
with every symptom's message and evidence kept under `evidence["symptoms"]`.

The table is deliberately conservative: a symptom is folded only into a
cause that a check actually found in the same run, and only where that cause
is known to produce the symptom. A symptom whose cause was not found stays a
finding of its own. Causes are static checks (data or model audit), plus
findings whose verdict subsumes another's:

- `probe.batch_mixing` is a structural test (an output that moves when
  another sample of its batch changes). A model whose outputs mix the batch
  cannot fit per-sample targets, so its one-batch overfit failure, its
  input-independence and its stalled training loss are that defect seen
  again.
- `probe.cannot_overfit_batch`: a model that cannot fit one batch has not
  learnt to use its inputs either; `probe.input_independent` on the same run
  is the same dead model seen a second time.
- `train.dead_relu`: a dead ReLU passes no gradient, so every weight before
  it gets none: the zero gradients `train.vanishing_gradients` measures
  there, and the weights `train.weights_unchanged` sees standing still, are
  the dead units seen again.

A cause found only by a probe or the training run absorbs symptoms only
when it is conclusive (warning or error): an inconclusive run explains
nothing. Folding
is transitive: a cause that is itself a symptom of a cause found in the same
run goes under that cause with its own symptoms (data before model before
probes, in the order the findings come).
"""

from kerasdoc.findings import Finding, Severity

__all__ = ["SYMPTOMS", "fold_symptoms", "symptom_codes"]

SYMPTOMS = {
    "data.not_normalized": (
        "probe.initial_loss", "probe.cannot_overfit_batch", "probe.input_independent",
        "probe.learning_rate", "train.exploding_gradients", "train.logits_blowup",
        "train.loss_diverging", "train.loss_oscillating",
    ),
    "data.label_misalignment": (
        "probe.input_independent", "train.loss_plateau", "train.overfitting",
        "train.loss_accuracy_divergence", "data.label_noise",
    ),
    "data.split_leakage": ("train.validation_gap",),
    "model.zero_init": (
        "train.weights_unchanged", "train.vanishing_gradients", "train.dead_relu",
        "train.loss_plateau", "probe.cannot_overfit_batch", "probe.input_independent",
    ),
    "model.frozen": (
        "train.weights_unchanged", "train.loss_plateau", "probe.cannot_overfit_batch",
        "probe.input_independent",
    ),
    "model.output_activation": (
        "probe.initial_loss", "probe.cannot_overfit_batch", "probe.input_independent",
        "train.loss_plateau",
    ),
    "optim.learning_rate": (
        "probe.learning_rate", "probe.cannot_overfit_batch", "train.loss_diverging",
        "train.loss_oscillating", "train.exploding_gradients", "train.logits_blowup",
        "train.update_ratio", "train.dead_relu",
    ),
    "probe.batch_mixing": (
        "probe.cannot_overfit_batch", "probe.input_independent", "train.loss_plateau",
    ),
    "probe.cannot_overfit_batch": ("probe.input_independent",),
    "train.dead_relu": ("train.vanishing_gradients", "train.weights_unchanged"),
}
"""dict: root-cause code -> codes of the symptoms it is known to produce."""


def symptom_codes(finding):
    """Codes folded into `finding` by `fold_symptoms` (empty if none)."""
    return tuple(s["code"] for s in finding.evidence.get("symptoms", ()))


def _can_explain(cause):
    """A static check's finding explains at any severity; a probe's only when
    it is conclusive (warning or error)."""
    if cause.code.startswith(("data.", "model.", "optim.", "preprocess.")):
        return True
    return cause.severity >= Severity.WARNING


def fold_symptoms(findings):
    """Report each root cause once, with the evidence of every check that saw it.

    Args:
        findings: list of `Finding` (already de-duplicated by code and layer).

    Returns:
        list of `Finding`: causes carry their symptoms under
        `evidence["symptoms"]` (code, severity, layer, step, message, evidence)
        and the worst severity among them; the folded symptoms are removed.
        A cause folded into a cause of its own brings its symptoms along.
    """
    causes = [f for f in findings if f.code in SYMPTOMS and _can_explain(f)]
    if not causes:
        return list(findings)
    parent = {}

    def root(f):
        while id(f) in parent:
            f = parent[id(f)]
        return f

    for f in findings:
        for cause in causes:  # the first cause found (data before model) wins
            if cause is f or f.code not in SYMPTOMS[cause.code]:
                continue
            if root(cause) is f:  # a loop: f already explains this cause
                continue
            parent[id(f)] = cause
            break
    if not parent:
        return list(findings)
    groups = {}
    for f in findings:
        if id(f) in parent:
            groups.setdefault(id(root(f)), []).append(f)
    out = []
    for f in findings:
        if id(f) in parent:
            continue
        group = groups.get(id(f))
        if group:
            f = _with_symptoms(f, group)
        out.append(f)
    return out


def _with_symptoms(cause, symptoms):
    evidence = dict(cause.evidence)
    evidence["symptoms"] = [
        {"code": s.code, "severity": str(s.severity), "layer": s.layer, "step": s.step,
         "message": s.message, "evidence": dict(s.evidence)}
        for s in symptoms
    ]
    worst = max([cause.severity] + [s.severity for s in symptoms])
    codes = ", ".join(dict.fromkeys(s.code for s in symptoms))
    message = f"{cause.message} Seen downstream as: {codes}."
    return Finding(cause.code, worst, message=message, evidence=evidence,
                   fix=cause.fix, layer=cause.layer, step=cause.step)
