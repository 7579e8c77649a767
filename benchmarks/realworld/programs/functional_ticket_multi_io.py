"""keras-io guide "The Functional API": the ticket-ranking model (3 inputs, 2 named outputs)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:guides/functional_api.py"
KIND = "multi_io"
HEALTHY = True
NOTES = ("The guide fits on random dummy data (1280 tickets: title 10 tokens, "
         "body 100 tokens, 12 binary tags, uniform-random priority, random "
         "0/1 departments) that cannot be learned -> the same shapes and "
         "dtypes but learnable: priority in [0, 1] = sigmoid of a tag score, "
         "department one-hot from marker tokens in the title; inputs and "
         "targets passed as dicts by name as the guide does; epochs 2 -> 6.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    from benchmarks.realworld.programs._data import token_sequences

    rng = seeded(0)
    num_tags, num_words, num_departments, n = 12, 10000, 4, 1280
    title_data, dept = token_sequences(rng, n, 10, num_words, n_classes=num_departments,
                                       min_len=10)
    body_data = rng.integers(1, num_words, size=(n, 100))
    tags_data = rng.integers(2, size=(n, num_tags)).astype("float32")
    w = rng.normal(0, 1, num_tags)
    priority_targets = (1 / (1 + np.exp(-(tags_data - 0.5) @ w * 1.5)))[:, None]
    dept_targets = keras.utils.to_categorical(dept, num_departments)

    def model_fn():
        title_input = keras.Input(shape=(None,), name="title")
        body_input = keras.Input(shape=(None,), name="body")
        tags_input = keras.Input(shape=(num_tags,), name="tags")
        title_features = layers.Embedding(num_words, 64)(title_input)
        body_features = layers.Embedding(num_words, 64)(body_input)
        title_features = layers.LSTM(128)(title_features)
        body_features = layers.LSTM(32)(body_features)
        h = layers.concatenate([title_features, body_features, tags_input])
        priority_pred = layers.Dense(1, name="priority")(h)
        department_pred = layers.Dense(num_departments, name="department")(h)
        model = keras.Model(inputs=[title_input, body_input, tags_input],
                            outputs={"priority": priority_pred,
                                     "department": department_pred})
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                  "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
            loss_weights={"priority": 1.0, "department": 0.2})
        return model

    x = {"title": title_data, "body": body_data, "tags": tags_data}
    y = {"priority": priority_targets, "department": dept_targets}
    return RealProgram(model_fn=model_fn, x=x, y=y, batch_size=32, epochs=6)
