"""AUTOTRAINER "Gradient Vanish" case 16, RNN variant: eight stacked sigmoid LSTMs."""

import numpy as np

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER

SOURCE = f"{AUTOTRAINER}:DL_tools/code/GradientVanish/case16-rnn-imdb.py"
KIND = "text"
HEALTHY = False
FAULT = ("eight stacked LSTM(activation='sigmoid', kernel_initializer='he_uniform') layers: the "
         "sigmoid cell activation squashes the signal layer after layer and the gradient vanishes")
EXPECTED = ("train.vanishing_gradients", "train.saturated_activations", "train.loss_plateau",
            "model.init_activation_mismatch", "probe.cannot_overfit_batch")
NOTES = ("IMDB (first 5000/5000 reviews, 20000 words, padded to 500) -> seeded synthetic token "
         "sequences shaped like it: 2000 train / 500 test reviews of 60 token ids from a "
         "2000-word vocabulary (0 = padding), label 1 when a review draws 65% of its words from "
         "the 'positive' half of the vocabulary, 0 when 65% come from the other half. Widths "
         "scaled down for this machine: Embedding 128 -> 32, LSTM 128 -> 32; the eight layers, "
         "the sigmoid activation, he_uniform, orthogonal recurrent init, dropout 0.2 and "
         "recurrent_dropout 0.2, Dropout(0.25) and the sigmoid output are kept. Adam, batch 256, "
         "20 epochs capped to 6. Fix (fixed=True): the LSTM's default tanh activation and "
         "glorot_uniform kernels. Measured (plain fit, 6 epochs, seed 0): buggy val_accuracy 0.46 "
         "(loss 0.72 -> 0.70), fixed 0.90 (val_loss 0.27). Slow: about 10 minutes per 6-epoch "
         "fit on this shared 2-core machine under load.")

def _reviews(rng, n, length=60, vocab=2000, bias=0.65):
    y = rng.integers(0, 2, size=n)
    half = vocab // 2
    own = rng.random((n, length)) < bias
    pos = rng.integers(1, half, size=(n, length))
    neg = rng.integers(half, vocab, size=(n, length))
    x = np.where(own == (y[:, None] == 1), pos, neg)
    lengths = rng.integers(length // 2, length + 1, size=n)
    # pre-padding, as pad_sequences does
    x[np.arange(length)[None, :] < (length - lengths)[:, None]] = 0
    return x.astype("int32"), y.astype("float32")

def build(fixed=False):
    import keras
    from keras.layers import LSTM, Dense, Dropout, Embedding

    rng = seeded(0)
    x, y = _reviews(rng, 2000)
    xv, yv = _reviews(rng, 500)

    def model_fn():
        act = "tanh" if fixed else "sigmoid"
        init = "glorot_uniform" if fixed else "he_uniform"
        layers = [keras.Input(shape=(None,), dtype="int32"), Embedding(2000, 32)]
        for i in range(8):
            layers.append(LSTM(32, activation=act, kernel_initializer=init,
                               recurrent_initializer="orthogonal", bias_initializer="zeros",
                               dropout=0.2, recurrent_dropout=0.2, return_sequences=i < 7))
        layers += [Dropout(0.25), Dense(1, activation="sigmoid")]
        model = keras.Sequential(layers)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=6)
