"""Reliability tests: print how many distinct inputs each sweep tried."""

import json
import os

SWEEP_COUNTS = "kerasdoc_sweep_counts"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts = getattr(config, SWEEP_COUNTS, None)
    if not counts:
        return
    terminalreporter.section("kerasdoc bad-input sweep: distinct inputs tried")
    for sweep, per_name in sorted(counts.items()):
        terminalreporter.write_line(f"{sweep}: " + ", ".join(
            f"{name}={n}" for name, n in sorted(per_name.items())))
    path = os.environ.get("KERASDOC_SWEEP_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump(counts, handle, indent=1)
