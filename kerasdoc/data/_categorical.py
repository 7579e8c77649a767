"""`data.categorical_scaled`: binary/one-hot columns standardised like continuous ones.

A column that takes exactly two values which are both not whole numbers (e.g.
{-0.87, 1.15}) is what `StandardScaler` makes of a 0/1 column. Two further
conditions keep ordinary numeric columns out:

- both values must be non-integers: a pixel column scaled by 1/255 or 1/16
  that is zero in most rows takes {0, c}, which is a rescaled, not a
  standardised, column;
- the rarer value must be held by at least `_MIN_MINORITY` rows. A column is
  only evidence of a binary feature when its non-mode rows keep repeating one
  value; a column that departs from its mode in a handful of rows (a corner
  pixel of 8x8 digits that is non-zero in 1 to 4 of 1797 images) has too few
  draws to tell a binary flag from a rare continuous or many-level value.
  With m non-mode draws of a feature whose commonest non-mode level has
  probability q <= 1/2, all m coinciding has chance q**(m - 1), under 0.2 %
  at m = 10.

Columns the user declares categorical are flagged when any value is not a
whole number, whatever its counts.

Severity: a warning when the flagged columns could form a one-hot group (two
or more) or the user declared them categorical: standardised column by
column, a group's active values become sqrt((1 - p) / p) for a category of
share p, so a category's identity is mixed with its frequency and rare ones
stand out by scale. A lone standardised 0/1 column is info: it is an affine
reparametrisation of one indicator, which a first Dense layer absorbs
exactly, now on the unit scale its initialiser assumes.
"""

import numpy as np

from kerasdoc.data._prepare import iter_chunks
from kerasdoc.findings import Finding

_SHOW = 20
# Fewest rows of the rarer value for a two-valued column to count as binary.
_MIN_MINORITY = 10


def _column_values(x, columns, chunk_size, limit=3):
    """Up to `limit` distinct values of each column (more means 'many')."""
    seen = {c: set() for c in columns}
    for _, chunk, _ in iter_chunks(x, chunk_size):
        for c in columns:
            if len(seen[c]) < limit:
                seen[c].update(np.unique(chunk[:, c])[:limit].tolist())
    return seen


def _minority_rows(stats, c):
    """Rows holding the rarer value of two-valued column `c`, from its min, max and mean."""
    low, high, mean = stats.feature_min[c], stats.feature_max[c], stats.feature_mean[c]
    count = stats.n - len(stats.nonfinite_rows)  # rows finite in every column, at least
    if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(mean)) or high <= low:
        return 0.0
    share_high = float(np.clip((mean - low) / (high - low), 0.0, 1.0))
    return min(share_high, 1.0 - share_high) * count


def check_categorical_scaled(x, stats, *, categorical_columns, chunk_size):
    """Warning listing binary or declared-categorical columns holding scaled values."""
    if stats.is_image or x.ndim != 2:
        return []
    declared = set(categorical_columns or ())
    values = _column_values(x, range(stats.n_features), chunk_size)
    flagged = []
    for c, vals in values.items():
        vals = [v for v in vals if np.isfinite(v)]
        integral = [v == np.floor(v) for v in vals]
        if c in declared:
            if not all(integral):
                flagged.append(c)
        elif len(vals) == 2 and not any(integral) and _minority_rows(stats, c) >= _MIN_MINORITY:
            flagged.append(c)
    if not flagged:
        return []
    examples = {int(c): sorted(round(float(v), 4) for v in values[c])[:3]
                for c in flagged[:_SHOW]}
    lone = len(flagged) == 1 and flagged[0] not in declared
    return [Finding(
        "data.categorical_scaled", severity="info" if lone else None,
        message=(f"{len(flagged)} binary or categorical columns hold non-integer values, "
                 "as if they had been standardised like continuous features."
                 + (" It is one 0/1 column: standardising it is an affine change a "
                    "first Dense layer absorbs exactly, so this is unlikely to hurt "
                    "unless the column feeds an Embedding or a lookup." if lone else "")),
        evidence={"columns": [int(c) for c in flagged], "values": examples,
                  "lone_binary_column": lone,
                  "declared_categorical": sorted(int(c) for c in declared)},
        fix=("Scale only the continuous columns (e.g. sklearn.compose.ColumnTransformer "
             "with StandardScaler on them and 'passthrough' for 0/1 and one-hot "
             "columns); keep categorical columns as 0/1."))]
