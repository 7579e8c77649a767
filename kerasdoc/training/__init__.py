"""kerasdoc.training."""

__all__ = []
