"""kerasdoc.probes."""

__all__ = []
