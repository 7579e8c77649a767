"""kerasdoc.data."""

__all__ = []
