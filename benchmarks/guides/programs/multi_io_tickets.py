"""Multi-input, multi-output functional model fed with dicts, two losses."""

from benchmarks.guides._program import GuideProgram, seeded

SOURCE = "https://keras.io/guides/functional_api/ (the issue-ticket model; seen in search as a copy of the guide's code in MCMAXMM/mytensorflow tensorflow2.0/Multi_inputs_outputs.py)"
PATTERN = "a multi-input, multi-output functional model with dict inputs and two losses"
FAST = False
NOTES = ("As the guide: inputs 'title' and 'body' (int word ids through Embedding and "
         "LSTM) and 'tags' (binary vector); outputs 'priority' (Dense(1, sigmoid)) and "
         "'department' (Dense(4, softmax)); compiled with a dict of losses "
         "(binary_crossentropy, categorical_crossentropy) and loss_weights "
         "{'priority': 1.0, 'department': 0.2}; fitted with dicts of inputs and targets. "
         "Sizes: vocabulary 200 (10000), sequence length 8, Embedding 8 (64), LSTM 8 and "
         "4 (128 and 32), 12 tags, 320 samples, batch 32, 2 epochs. The guide's targets "
         "are random; here priority depends on the tags and the department on the title "
         "words so that there is something to learn.")


def build():
    import keras
    import numpy as np
    from keras import layers

    rng = seeded(0)
    n, num_words, num_tags, num_departments = 320, 200, 12, 4
    department = rng.integers(0, num_departments, n)
    title = rng.integers(1, num_words, (n, 8))
    title[:, 0] = 1 + department * 10 + rng.integers(0, 10, n)  # the first word names it
    body = rng.integers(1, num_words, (n, 8))
    tags = rng.integers(0, 2, (n, num_tags)).astype("float32")
    priority = (tags[:, :3].sum(axis=1) >= 2).astype("float32")[:, None]
    dept_onehot = np.eye(num_departments, dtype="float32")[department]

    def model_fn():
        title_input = keras.Input(shape=(None,), name="title")
        body_input = keras.Input(shape=(None,), name="body")
        tags_input = keras.Input(shape=(num_tags,), name="tags")
        title_features = layers.Embedding(num_words, 8)(title_input)
        body_features = layers.Embedding(num_words, 8)(body_input)
        title_features = layers.LSTM(8)(title_features)
        body_features = layers.LSTM(4)(body_features)
        x = layers.concatenate([title_features, body_features, tags_input])
        priority_pred = layers.Dense(1, activation="sigmoid", name="priority")(x)
        department_pred = layers.Dense(num_departments, activation="softmax",
                                       name="department")(x)
        model = keras.Model(inputs=[title_input, body_input, tags_input],
                            outputs=[priority_pred, department_pred])
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                      loss={"priority": keras.losses.BinaryCrossentropy(),
                            "department": keras.losses.CategoricalCrossentropy()},
                      loss_weights={"priority": 1.0, "department": 0.2})
        return model

    x = {"title": title, "body": body, "tags": tags}
    y = {"priority": priority, "department": dept_onehot}
    return GuideProgram(model_fn, x, y, batch_size=32, epochs=2)
