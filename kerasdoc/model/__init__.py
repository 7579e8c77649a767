"""kerasdoc.model."""

__all__ = []
