"""The `kerasdoc` command line.

`main(argv)` returns an exit code instead of exiting, so tests call it
in-process: 0 clean, 1 findings of severity error, 2 bad usage or bad input,
3 incomplete (a part or a check failed; `--allow-failures` turns it into the
code the findings alone give), 4 the model file is corrupt (truncated, not a
`.keras` zip archive, a failed CRC check).
Each subcommand lives in its own module with `add_parser(subparsers)`; the
parser it adds sets `func(args) -> int`, and `tensorflow=True` when it needs
TensorFlow: TensorFlow is then imported first with its C++ start-up logs kept
off stderr (`kerasdoc._quiet.quiet_tensorflow`; set TF_CPP_MIN_LOG_LEVEL=0
to see them).
"""

import argparse
import importlib
import sys

from kerasdoc._errors import DataIntegrityError, KerasDocError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_CORRUPT_MODEL = 4

EXIT_CODES_HELP = """exit codes:
  0  clean: every check ran or was skipped with a reason, no error finding
  1  at least one finding of severity error
  2  bad usage or bad input (a message names the argument)
  3  incomplete: a part or a check failed (raised); the report lists it under
     'failed' with its exception. --allow-failures turns 3 into 0 or 1
  4  the model file is corrupt (truncated, not a .keras zip archive, a
     failed CRC check); a missing file is 2"""


class CorruptModelError(DataIntegrityError):
    """The saved model file exists but is damaged (exit code 4)."""


def exit_code(report, allow_failures=False):
    """The exit code a report gives: 3 when incomplete (unless allowed), 1 on errors, else 0.

    A failed check outranks an error finding: the report of a run that
    crashed is not trusted as a verdict, so CI sees 3 until it is fixed or
    `allow_failures` says the failures are known.

    Args:
        report: a `kerasdoc.Report`.
        allow_failures: treat failed checks as absent. Defaults to `False`.
    """
    if report.failed and not allow_failures:
        return EXIT_INCOMPLETE
    return EXIT_FINDINGS if report.errors else EXIT_OK

_COMMANDS = (
    "kerasdoc.cli._subset",
    "kerasdoc.cli._diagnose",
    "kerasdoc.cli._demo",
)


def build_parser():
    """The argparse parser with every subcommand registered."""
    from kerasdoc import __version__

    parser = argparse.ArgumentParser(
        prog="kerasdoc",
        description="Find why a Keras network trains badly.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version",
                        version=f"kerasdoc {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the command line with `argv` (default `sys.argv[1:]`); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if getattr(args, "tensorflow", False):
            # Before anything imports TensorFlow: its C++ start-up logs
            # (CUDA probe, CPU banner) are noise on a command line.
            from kerasdoc._quiet import quiet_tensorflow

            quiet_tensorflow()
        return int(args.func(args))
    except CorruptModelError as exc:
        print(f"kerasdoc {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_CORRUPT_MODEL
    except KerasDocError as exc:
        print(f"kerasdoc {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"kerasdoc {args.command}: interrupted", file=sys.stderr)
        return 130
