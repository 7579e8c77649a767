"""Keras internals behind one seam: every `keras.src` import kerasdoc needs.

Keras 3 does not promise `keras.src` across versions. Each shim below names
the private thing it reaches, why the public API does not serve, and the
Keras versions it was checked on; `tests/test_keras_seam.py` calls every
shim, so a Keras upgrade that moves one fails there first, by name.

Where the public API serves, it is used instead: `keras.tree`,
`keras.utils.unpack_x_y_sample_weight`.

Checked on: Keras 3.15.1 (TensorFlow 2.21.0 backend).
"""

__all__ = ["functional_class", "global_seed_generator", "compute_output_spec",
           "unscale_loss_for_distribution", "SHIMS"]

CHECKED_ON = ("3.15.1",)
"""Keras versions every shim was checked on."""


def functional_class():
    """`keras.src.models.functional.Functional`, the class of graph models.

    Public Keras has no name for it (`keras.Model` is the base of subclassed
    models too); kerasdoc needs it to tell a layer graph it can tap from a
    subclassed model. Checked on Keras 3.15.1.
    """
    from keras.src.models.functional import Functional

    return Functional


def global_seed_generator():
    """Keras's global `SeedGenerator` (or None before any random op drew from it).

    `keras.utils.set_random_seed` sets it but nothing public reads it; the
    probes save and restore its state so the user's random stream is left as
    it was. Reads `keras.src.backend.common.global_state`'s
    `"global_seed_generator"` attribute. Checked on Keras 3.15.1.
    """
    from keras.src.backend.common import global_state

    return global_state.get_global_attribute("global_seed_generator")


def compute_output_spec(fn, *args, **kwargs):
    """`keras.src.backend.compute_output_spec`: run `fn` symbolically.

    What Keras's own `_symbolic_build` uses to build a model from input
    specs without drawing data; not exported under `keras.backend`.
    Checked on Keras 3.15.1.
    """
    from keras.src import backend

    return backend.compute_output_spec(fn, *args, **kwargs)


def unscale_loss_for_distribution(loss):
    """`keras.src.losses.loss.unscale_loss_for_distribution`, as Keras's train_step.

    Keras scales the loss by the number of replicas inside its train step
    and reports the unscaled value; the Doctor's step does the same so its
    loss equals Keras's. Checked on Keras 3.15.1.
    """
    from keras.src.losses import loss as loss_module

    return loss_module.unscale_loss_for_distribution(loss)


SHIMS = (functional_class, global_seed_generator, compute_output_spec,
         unscale_loss_for_distribution)
"""Every shim of this module (the test calls each)."""
