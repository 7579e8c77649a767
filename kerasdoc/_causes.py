"""Fold downstream symptoms into the root cause that explains them.

One mistake is seen by several checks: raw 0-255 pixels are flagged by the
data audit (`data.not_normalized`), then show up as a huge initial loss in the
probes and as exploding gradients and saturated logits during training.
Reported side by side, the symptom with the worst severity comes first and
its fix ("lower the learning rate") points away from the cause. `fold_symptoms`
reports the cause once, at the worst severity any of its symptoms reached,
with every symptom's message and evidence kept under `evidence["symptoms"]`.

The table is deliberately conservative: a symptom is folded only into a
cause that a static check (data or model audit) actually found in the same
run, and only where that cause is known to produce the symptom. A symptom
whose cause was not found stays a finding of its own.
"""

from kerasdoc.findings import Finding

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
        "train.update_ratio",
    ),
}
"""dict: root-cause code -> codes of the symptoms it is known to produce."""


def symptom_codes(finding):
    """Codes folded into `finding` by `fold_symptoms` (empty if none)."""
    return tuple(s["code"] for s in finding.evidence.get("symptoms", ()))


def fold_symptoms(findings):
    """Report each root cause once, with the evidence of every check that saw it.

    Args:
        findings: list of `Finding` (already de-duplicated by code and layer).

    Returns:
        list of `Finding`: causes carry their symptoms under
        `evidence["symptoms"]` (code, severity, layer, step, message, evidence)
        and the worst severity among them; the folded symptoms are removed.
    """
    causes = [f for f in findings if f.code in SYMPTOMS]
    if not causes:
        return list(findings)
    folded_into = {}
    for f in findings:
        if f.code in SYMPTOMS:
            continue
        for cause in causes:  # the first cause found (data before model) wins
            if f.code in SYMPTOMS[cause.code]:
                folded_into.setdefault(id(cause), []).append(f)
                break
    if not folded_into:
        return list(findings)
    absorbed = {id(s) for group in folded_into.values() for s in group}
    out = []
    for f in findings:
        if id(f) in absorbed:
            continue
        group = folded_into.get(id(f))
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
