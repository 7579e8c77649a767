"""`data.categorical_scaled`: binary/one-hot columns standardised like continuous ones.

A column that takes exactly two values which are not whole numbers (e.g.
{-0.87, 1.15}) is what `StandardScaler` makes of a 0/1 column. Columns the
user declares categorical are also flagged when any value is not a whole number.
"""

import numpy as np

from kerasdoc.data._prepare import iter_chunks
from kerasdoc.findings import Finding

_SHOW = 20


def _column_values(x, columns, chunk_size, limit=3):
    """Up to `limit` distinct values of each column (more means 'many')."""
    seen = {c: set() for c in columns}
    for _, chunk, _ in iter_chunks(x, chunk_size):
        for c in columns:
            if len(seen[c]) < limit:
                seen[c].update(np.unique(chunk[:, c])[:limit].tolist())
    return seen


def check_categorical_scaled(x, stats, *, categorical_columns, chunk_size):
    """Warning listing binary or declared-categorical columns holding scaled values."""
    if stats.is_image or x.ndim != 2:
        return []
    declared = set(categorical_columns or ())
    values = _column_values(x, range(stats.n_features), chunk_size)
    flagged = []
    for c, vals in values.items():
        vals = [v for v in vals if np.isfinite(v)]
        non_integer = any(v != np.floor(v) for v in vals)
        if (c in declared and non_integer) or (len(vals) == 2 and non_integer):
            flagged.append(c)
    if not flagged:
        return []
    examples = {int(c): sorted(round(float(v), 4) for v in values[c])[:3]
                for c in flagged[:_SHOW]}
    return [Finding(
        "data.categorical_scaled",
        message=(f"{len(flagged)} binary or categorical columns hold non-integer values, "
                 "as if they had been standardised like continuous features."),
        evidence={"columns": [int(c) for c in flagged], "values": examples,
                  "declared_categorical": sorted(int(c) for c in declared)},
        fix=("Scale only the continuous columns (e.g. sklearn.compose.ColumnTransformer "
             "with StandardScaler on them and 'passthrough' for 0/1 and one-hot "
             "columns); keep categorical columns as 0/1."))]
