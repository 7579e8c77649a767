"""kerasdoc.data: stratified subsets with `.npy` persistence, and data audits."""

__all__ = []

# -- subset builder and persistence (issue 2): import and extend __all__ below --
from kerasdoc.data._io import save_subset  # noqa: E402
from kerasdoc.data._load import LoadedSubset, load_subset  # noqa: E402
from kerasdoc.data._subset import Subset, stratified_subset  # noqa: E402

__all__ += ["LoadedSubset", "Subset", "load_subset", "save_subset", "stratified_subset"]

# -- data audit (issue 4): import and extend __all__ below --
from kerasdoc.data._audit import check_data  # noqa: E402

__all__ += ["check_data"]
