"""`model.output_bias_init`: output bias vs the class log-prior on imbalanced labels."""

import numpy as np

from kerasdoc.findings import Finding


def check_output_bias(layer, activation, labels, *, imbalance_ratio=10.0,
                      tolerance=1.0):
    """Report an output bias far from the log-prior when classes are imbalanced.

    With a bias of zero the first steps are spent learning the class
    frequencies (and the initial loss is far above the prior's entropy).
    Setting the bias to the log-prior (softmax: log p_c; one sigmoid unit:
    log(p/(1-p))) starts the model at the base rate.

    Args:
        layer: the output layer (needs a `bias` variable).
        activation: 'softmax' or 'sigmoid'.
        labels: `Labels` of the training targets.
        imbalance_ratio: majority/minority count ratio from which labels count
            as strongly imbalanced. Defaults to `10.0`.
        tolerance: largest gap, in nats, between the (centred) bias and the
            (centred) log-prior not reported. Defaults to `1.0`.
    """
    bias = getattr(layer, "bias", None)
    if bias is None or labels is None or labels.counts is None:
        return []
    if activation not in ("softmax", "sigmoid"):
        return []
    counts = np.asarray(labels.counts, dtype=np.float64)
    b = np.asarray(bias.numpy(), dtype=np.float64).reshape(-1)
    if activation == "sigmoid" and b.size == 1 and labels.form == "sparse":
        if counts.size != 2 or counts.min() == 0:
            return []
        prior = counts / counts.sum()
        target = np.array([np.log(prior[1] / prior[0])])
        current = b
    elif activation == "softmax" and b.size == counts.size and b.size > 1:
        present = counts > 0
        if present.sum() < 2:
            return []
        prior = counts / counts.sum()
        logp = np.log(prior[present])
        target = logp - logp.mean()
        current = b[present] - b[present].mean()
    else:
        return []
    ratio = float(counts[counts > 0].max() / counts[counts > 0].min())
    if ratio < imbalance_ratio:
        return []
    gap = float(np.max(np.abs(current - target)))
    if gap <= tolerance:
        return []
    suggested = (target if activation == "sigmoid"
                 else np.log(np.where(counts > 0, counts / counts.sum(), 1e-12)))
    return [Finding(
        "model.output_bias_init",
        message=(f"The labels are imbalanced {ratio:.0f}:1 but the output bias of "
                 f"{layer.name} is not set to the class log-prior, so early training "
                 "is spent learning the base rates."),
        evidence={"layer": layer.name, "class_counts": counts.astype(int).tolist(),
                  "imbalance_ratio": ratio, "bias": b.tolist(),
                  "log_prior_bias": np.round(suggested, 4).tolist(), "gap_nats": gap},
        fix=(f"Initialise the bias: {layer.name}.bias.assign(log_prior) "
             "(or bias_initializer=keras.initializers.Constant(log_prior)), with "
             "log_prior = log(counts / counts.sum())"
             + (" -> log(p/(1-p)) for one sigmoid unit." if activation == "sigmoid"
                else ".")),
        layer=layer.name,
    )]
