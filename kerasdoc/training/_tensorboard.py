"""TensorBoard export of the Doctor's per-layer histograms and scalars.

The histograms are binned on the device by the instrumented step (low, high
and bin counts per layer); this module only writes them in TensorBoard's
histogram format (a `[bins, 3]` tensor of left edge, right edge, count), so
no activation or gradient tensor is copied to the host. The writer is
created lazily on the first write, never in a constructor.
"""

import numpy as np


class HistogramWriter:
    """Writes pre-binned histograms and scalars to a TensorBoard log dir.

    Args:
        logdir: directory for the event files.
    """

    def __init__(self, logdir):
        self.logdir = str(logdir)
        self._writer = None

    def _ensure(self):
        if self._writer is None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(self.logdir)
        return self._writer

    def write_histograms(self, step, names, rows):
        """Write one histogram per name; each row is `[low, high, *counts]`."""
        import tensorflow as tf
        from tensorboard.plugins.histogram import metadata

        writer = self._ensure()
        with writer.as_default():
            for name, row in zip(names, np.asarray(rows, dtype=np.float64)):
                low, high, counts = row[0], row[1], row[2:]
                if not counts.sum():
                    continue
                edges = np.linspace(low, high, len(counts) + 1)
                buckets = np.stack([edges[:-1], edges[1:], counts], axis=1)
                tf.summary.write(
                    tag=name, tensor=tf.constant(buckets, tf.float64),
                    step=int(step),
                    metadata=metadata.create_summary_metadata(name, ""))
        writer.flush()

    def write_scalars(self, step, values):
        """Write a dict of name -> float (non-finite values skipped)."""
        import tensorflow as tf

        writer = self._ensure()
        with writer.as_default():
            for name, value in values.items():
                if value is not None and np.isfinite(value):
                    tf.summary.scalar(name, float(value), step=int(step))

    def close(self):
        """Flush and close the event file."""
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
