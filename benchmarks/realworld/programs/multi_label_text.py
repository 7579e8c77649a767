"""keras-io "Large-scale multi-label text classification" (shallow MLP on tf-idf, sigmoid outputs)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/nlp/multi_label_classification.py"
KIND = "multilabel"
HEALTHY = True
NOTES = ("arXiv abstracts through TextVectorization(ngrams=2, output_mode='tf_idf') "
         "with ~150 subject terms as multi-hot labels -> _data.bag_of_words: 4000 "
         "train / 800 val documents over a 3000-word vocabulary, tf-idf weighted "
         "like the original's, with 20 labels (about 2 per document); the "
         "original's batched tf.data of (tf-idf vector, multi-hot label) passed "
         "as the same arrays; batch 128 kept; epochs 20 -> 5.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    from benchmarks.realworld.programs._data import bag_of_words

    rng = seeded(0)
    x, y = bag_of_words(rng, 4800, 3000, 20)
    df = x[:4000].sum(0)
    idf = np.log(1 + len(x[:4000]) / (1 + df)).astype("float32")
    x = x * idf
    n_labels = y.shape[1]

    def model_fn():
        shallow_mlp_model = keras.Sequential([
            layers.Dense(512, activation="relu"),
            layers.Dense(256, activation="relu"),
            layers.Dense(n_labels, activation="sigmoid"),
        ])
        shallow_mlp_model.compile(loss="binary_crossentropy", optimizer="adam",
                                  metrics=["binary_accuracy"])
        return shallow_mlp_model

    return RealProgram(model_fn=model_fn, x=x[:4000], y=y[:4000],
                       validation_data=(x[4000:], y[4000:]), batch_size=128, epochs=5)
