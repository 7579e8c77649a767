"""kerasdoc.training: the `Doctor` callback and its on-device statistics.

`Doctor` installs an instrumented, compiled train step for the duration of
`model.fit` (gradient clipping, per-layer gradient/weight/activation
statistics accumulated on the device, live `train.*` detectors).
`clip_gradients` is the pure clipping function it uses.
"""

from kerasdoc.training._clipping import clip_gradients
from kerasdoc.training._doctor import Doctor

__all__ = ["Doctor", "clip_gradients"]
