"""A corpus of real-world Keras programs, healthy and buggy, ported with provenance.

Each program is a module in `benchmarks/realworld/programs/` (see that
package's docstring for the format); `python -m benchmarks.realworld.score`
runs them all through `kerasdoc.diagnose` and scores false alarms on the
healthy ones and recall/precision on the buggy ones.
"""
