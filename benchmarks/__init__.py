"""Benchmarks of kerasdoc (not part of the installed package)."""
