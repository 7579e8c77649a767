"""The fault gallery: injected faults with healthy twins, scored against kerasdoc.

`benchmarks.faults.cases.CASES` maps a case name to a `FaultCase`;
`python -m benchmarks.faults.score` runs them (see its `--help`).
"""
