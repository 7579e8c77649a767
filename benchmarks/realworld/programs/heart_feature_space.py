"""keras-io "Structured data classification with FeatureSpace" (heart disease, tf.data of dicts)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("keras-team/keras-io:examples/structured_data/"
          "structured_data_classification_with_feature_space.py")
KIND = "tabular"
HEALTHY = True
NOTES = ("Cleveland heart.csv (303 rows) -> _data.heart_table: 303 synthetic rows "
         "with the same columns, kinds and ranges and a target that depends on "
         "them (~27% positive); 20% validation sample as the original; the "
         "original's FeatureSpace (integer/string categorical, discretised age, normalised floats, "
         "two crosses, concat) adapted and mapped over the batched (32) tf.data "
         "datasets exactly as the original, so x is a tf.data.Dataset of "
         "(encoded vector, label); epochs 20 kept.")


def build(fixed=False):
    import keras
    import numpy as np
    import tensorflow as tf
    from keras.utils import FeatureSpace

    from benchmarks.realworld.programs._data import heart_table

    rng = seeded(0)
    table = heart_table(rng)
    n = len(table["target"])
    val_idx = rng.choice(n, size=int(0.2 * n), replace=False)
    val_mask = np.zeros(n, bool)
    val_mask[val_idx] = True

    def dataframe_to_dataset(mask):
        labels = table["target"][mask]
        features = {k: v[mask] for k, v in table.items() if k != "target"}
        ds = tf.data.Dataset.from_tensor_slices((features, labels))
        return ds.shuffle(buffer_size=int(mask.sum()), seed=0)

    train_ds = dataframe_to_dataset(~val_mask).batch(32)
    val_ds = dataframe_to_dataset(val_mask).batch(32)
    feature_space = FeatureSpace(
        features={
            "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
            "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
            "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
            "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
            "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
            "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
            "thal": FeatureSpace.string_categorical(num_oov_indices=0),
            "age": FeatureSpace.float_discretized(num_bins=30),
            "trestbps": FeatureSpace.float_normalized(),
            "chol": FeatureSpace.float_normalized(),
            "thalach": FeatureSpace.float_normalized(),
            "oldpeak": FeatureSpace.float_normalized(),
            "slope": FeatureSpace.float_normalized(),
        },
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
            FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
        ],
        output_mode="concat",
    )
    feature_space.adapt(train_ds.map(lambda x, _: x))
    preprocessed_train_ds = train_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    preprocessed_val_ds = val_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    encoded_dim = int(feature_space.get_encoded_features().shape[-1])

    def model_fn():
        encoded_features = keras.Input(shape=(encoded_dim,))
        h = keras.layers.Dense(32, activation="relu")(encoded_features)
        h = keras.layers.Dropout(0.5)(h)
        predictions = keras.layers.Dense(1, activation="sigmoid")(h)
        training_model = keras.Model(inputs=encoded_features, outputs=predictions)
        training_model.compile(optimizer="adam", loss="binary_crossentropy",
                               metrics=["accuracy"])
        return training_model

    return RealProgram(model_fn=model_fn, x=preprocessed_train_ds,
                       validation_data=preprocessed_val_ds, epochs=20)
