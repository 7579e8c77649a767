"""List kerasdoc's registered checks and the task inferred for each fault-gallery program.

    python benchmarks/list_checks.py            # both tables, markdown
    python benchmarks/list_checks.py --checks   # only the checks
    python benchmarks/list_checks.py --tasks    # only the gallery's tasks

The first table is `kerasdoc.checks()`: each check's name, part, the codes it
may emit, the task kinds and input kinds it applies to ("all" when it applies
to every one) and what it needs. The second builds (never trains) the broken
program and the healthy twin of every fault-gallery case and writes the task
`kerasdoc.infer_task` gives each, as `diagnose` would infer it (a task the
program passes explicitly would win; none of the gallery's programs does).
"""

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _join(values, every):
    values = tuple(values)
    return "all" if set(values) == set(every) else ", ".join(values)


def checks_table():
    """`kerasdoc.checks()` as a markdown table."""
    import kerasdoc
    from kerasdoc._registry import INPUT_KINDS, TASK_KINDS

    rows = ["| check | part | codes | tasks | inputs | needs |",
            "| --- | --- | --- | --- | --- | --- |"]
    for check in kerasdoc.checks():
        codes = ", ".join(c for c in check.codes)
        rows.append(f"| {check.name} | {check.part} | {codes} | "
                    f"{_join(check.tasks, TASK_KINDS)} | {_join(check.inputs, INPUT_KINDS)} "
                    f"| {', '.join(check.needs) or '-'} |")
    return "\n".join(rows)


def _task_of(program):
    import keras

    from kerasdoc import infer_task

    keras.backend.clear_session()
    model = program.model_fn()
    if program.entry == "check_preprocessing":  # no targets: the model alone decides
        return infer_task(model, program.x)
    return infer_task(model, program.x, program.y)


def _short(task):
    if task.outputs:
        return "multi_output (" + ", ".join(f"{name}: {_short(t)}"
                                            for name, t in task.outputs) + ")"
    size = task._summary()
    return task.kind + (f", {size}" if size else "") + (", logits" if task.logits else "")


def tasks_table():
    """The task inferred for each gallery program (broken and healthy twin) as markdown."""
    from benchmarks.faults.cases import CASES

    rows = ["| case | entry | task of the healthy twin | broken program (when it differs) |",
            "| --- | --- | --- | --- |"]
    for name, fault_case in CASES.items():
        healthy, broken = fault_case.healthy(), fault_case.broken()
        h, b = _short(_task_of(healthy)), _short(_task_of(broken))
        rows.append(f"| {name} | {healthy.entry} | {h} | {'' if b == h else b} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", action="store_true", help="only the checks table")
    parser.add_argument("--tasks", action="store_true", help="only the gallery's tasks")
    args = parser.parse_args(argv)
    both = not (args.checks or args.tasks)
    if both or args.checks:
        import kerasdoc

        print(f"kerasdoc.checks(): {len(kerasdoc.checks())} checks\n")
        print(checks_table())
    if both or args.tasks:
        if both:
            print()
        print(tasks_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
