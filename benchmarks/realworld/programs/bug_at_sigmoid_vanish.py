"""AUTOTRAINER "Gradient Vanish" case 16: seven sigmoid layers of width 5 on two circles."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, circle

SOURCE = (f"{AUTOTRAINER}:DL_tools/code/GradientVanish/case16.py "
          "(config: AutoTrainer/demo_case/Gradient_Vanish_Case/config.pkl)")
KIND = "binary"
HEALTHY = False
FAULT = ("seven stacked Dense(5, activation='sigmoid') hidden layers (he_uniform): the "
         "gradient vanishes before it reaches the first layers")
EXPECTED = ("train.vanishing_gradients", "train.saturated_activations",
            "model.init_activation_mismatch", "train.loss_plateau", "probe.cannot_overfit_batch")
NOTES = ("Data: AUTOTRAINER's simplednn_circle exactly (make_circles noise=0.1 random_state=1, "
         "700/300, raw coordinates), rebuilt with scikit-learn. Model from case16.py (functional "
         "API kept); config from the Gradient_Vanish demo's config.pkl: Adam(lr=1e-3) -> "
         "learning_rate=1e-3, batch 128, 300 epochs capped to 60. Fix (fixed=True): ReLU hidden "
         "activations, AUTOTRAINER's 'vanish_relu' repair. Measured (plain fit, 60 epochs, "
         "seed 0): buggy val_accuracy 0.50 (loss 0.693 throughout), fixed 0.67 (val_loss 0.58).")


def build(fixed=False):
    import keras
    from keras.layers import Dense, Input

    seeded(0)
    (x, y), (xv, yv) = circle()
    act = "relu" if fixed else "sigmoid"

    def model_fn():
        init = "he_uniform"
        inp = Input(shape=(2,))
        h = inp
        for _ in range(7):
            h = Dense(5, activation=act, kernel_initializer=init)(h)
        out = Dense(1, activation="sigmoid", kernel_initializer=init)(h)
        model = keras.Model(inp, out)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=128, epochs=60)
