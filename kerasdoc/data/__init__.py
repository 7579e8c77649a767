"""kerasdoc.data: stratified subsets with `.npy` persistence, and data audits."""

__all__ = []

# -- subset builder and persistence (issue 2): import and extend __all__ below --

# -- data audit (issue 4): import and extend __all__ below --
