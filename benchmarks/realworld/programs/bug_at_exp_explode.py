"""AUTOTRAINER "Gradient Explode" case 26: exponential activations stacked four deep."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, circle

SOURCE = f"{AUTOTRAINER}:DL_tools/code/GradientExplode/case26.py"
KIND = "binary"
HEALTHY = False
FAULT = ("four stacked Dense(5, activation='exponential') layers: activations and gradients "
         "grow as exp(exp(...)) and overflow")
EXPECTED = ("train.exploding_gradients", "train.nonfinite", "train.loss_diverging",
            "train.saturated_activations", "probe.cannot_overfit_batch", "probe.initial_loss",
            # The exp(exp(...)) activations reach the output as huge logits on their
            # way to inf (bug_at_cnn_exp_explode, the same case's CNN, lists it too).
            "train.logits_blowup")
NOTES = ("Data: make_circles(noise=0.1, random_state=1) min-max scaled to [-1, 1], 700/300 "
         "(DL_tools/data/simplednn.py). Adam (default rate), batch 128, 100 epochs as the case; "
         "the case's ReduceLROnPlateau is built but not passed to fit in the original, so "
         "omitted. "
         "Fix (fixed=True): ReLU hidden activations, AUTOTRAINER's 'explode_relu' repair. "
         "Measured (plain fit, 100 epochs, seed 0): buggy "
         "loss NaN from the first epoch, fixed val_accuracy 0.71 (val_loss 0.62).")


def build(fixed=False):
    import keras
    from keras.layers import Dense, Input

    seeded(0)
    (x, y), (xv, yv) = circle(scaled=True)
    act = "relu" if fixed else "exponential"

    def model_fn():
        init = "he_uniform"
        inp = Input(shape=(2,))
        h = inp
        for _ in range(4):
            h = Dense(5, activation=act, kernel_initializer=init)(h)
        out = Dense(1, activation="sigmoid", kernel_initializer=init)(h)
        model = keras.Model(inp, out)
        model.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=128, epochs=100)
