"""kerasdoc.plot."""

__all__ = []
