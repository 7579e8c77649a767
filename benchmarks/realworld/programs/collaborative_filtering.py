"""keras-io "Collaborative Filtering for Movie Recommendations" (subclassed RecommenderNet)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/structured_data/collaborative_filtering_movielens.py"
KIND = "subclassed"
HEALTHY = False
FAULT = ("call() scores with ops.tensordot(user_vector, movie_vector, 2), which "
         "contracts over the batch axis too: every prediction gets the same "
         "batch-wide scalar, so each sample's output depends on the others in "
         "its batch (fixed: the per-row dot product ops.sum(u * m, axis=1, "
         "keepdims=True)).")
EXPECTED = ("probe.batch_mixing",)
NOTES = ("Ported as healthy first, then moved to the buggy set: the published "
         "example carries this batch-mixing defect (measured here: BCE 0.696 -> "
         "0.653 and validation R^2 -0.36 after 3 epochs). MovieLens ml-latest-small (610 users, 9724 movies, 100,836 ratings 0.5-5) "
         "-> 30,000 synthetic draws of 600 users x 2000 movies (one rating kept per "
         "(user, movie) pair, as MovieLens has) from user and "
         "movie biases plus a rank-8 interaction, rounded to half stars, "
         "min-max normalised to [0, 1] as the original; shuffled and split 90/10 "
         "as the original; the original's ops.tensordot(user, movie, 2) kept; "
         "epochs 5 -> 3.")


def _recommender(fixed):
    import keras
    from keras import layers, ops

    class RecommenderNet(keras.Model):
        def __init__(self, num_users, num_movies, embedding_size, **kwargs):
            super().__init__(**kwargs)
            self.user_embedding = layers.Embedding(
                num_users, embedding_size, embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6))
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies, embedding_size, embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6))
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            if fixed:
                dot_user_movie = ops.sum(user_vector * movie_vector, axis=1, keepdims=True)
            else:
                dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
            x = dot_user_movie + user_bias + movie_bias
            return ops.nn.sigmoid(x)

    return RecommenderNet


def build(fixed=False):
    import keras
    import numpy as np

    rng = seeded(0)
    num_users, num_movies, n = 600, 2000, 30000
    users = rng.integers(0, num_users, n)
    movies = np.minimum(rng.zipf(1.3, n) - 1, num_movies - 1)
    movies = rng.permutation(num_movies)[movies]
    ub, mb = rng.normal(0, 0.5, num_users), rng.normal(0, 0.6, num_movies)
    uf, mf = rng.normal(0, 0.4, (num_users, 8)), rng.normal(0, 0.4, (num_movies, 8))
    score = 3.5 + ub[users] + mb[movies] + (uf[users] * mf[movies]).sum(1) \
        + rng.normal(0, 0.3, n)
    rating = np.clip(np.round(score * 2) / 2, 0.5, 5.0)
    # MovieLens holds one rating per (user, movie): keep each pair's first draw
    # (the Zipf draws repeat popular pairs: half the rows were exact copies).
    _, first = np.unique(users * num_movies + movies, return_index=True)
    first = np.sort(first)
    users, movies, rating = users[first], movies[first], rating[first]
    n = len(first)
    x = np.stack([users, movies], 1)
    y = ((rating - rating.min()) / (rating.max() - rating.min())).astype("float32")
    order = rng.permutation(n)
    x, y = x[order], y[order]
    cut = int(0.9 * n)
    RecommenderNet = _recommender(fixed)

    def model_fn():
        model = RecommenderNet(num_users, num_movies, 50)
        model.compile(loss=keras.losses.BinaryCrossentropy(),
                      optimizer=keras.optimizers.Adam(learning_rate=0.001))
        return model

    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=64, epochs=3)
