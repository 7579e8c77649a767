"""keras-io "Text classification with Transformer" (custom TransformerBlock and
TokenAndPositionEmbedding layers)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/nlp/text_classification_with_transformer.py"
KIND = "custom_layer"
HEALTHY = True
NOTES = ("keras.datasets.imdb (vocab 20000, maxlen 200) -> _data.token_sequences: "
         "3000 train / 600 val sequences, vocabulary 20000, maxlen 200, padded at "
         "the front like pad_sequences; architecture, compile and batch 32 as the "
         "original; epochs 2 kept.")


def _layers():
    import keras
    from keras import layers, ops

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=None):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    return TransformerBlock, TokenAndPositionEmbedding


def build(fixed=False):
    import keras
    from keras import layers

    from benchmarks.realworld.programs._data import token_sequences

    rng = seeded(0)
    vocab_size, maxlen = 20000, 200
    x, y = token_sequences(rng, 3600, maxlen, vocab_size)
    TransformerBlock, TokenAndPositionEmbedding = _layers()

    def model_fn():
        embed_dim, num_heads, ff_dim = 32, 2, 32
        inputs = layers.Input(shape=(maxlen,))
        h = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
        h = TransformerBlock(embed_dim, num_heads, ff_dim)(h)
        h = layers.GlobalAveragePooling1D()(h)
        h = layers.Dropout(0.1)(h)
        h = layers.Dense(20, activation="relu")(h)
        h = layers.Dropout(0.1)(h)
        outputs = layers.Dense(2, activation="softmax")(h)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:3000], y=y[:3000],
                       validation_data=(x[3000:], y[3000:]), batch_size=32, epochs=2)
