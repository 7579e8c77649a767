"""The `kerasdoc` command line.

`main(argv)` returns an exit code instead of exiting, so tests call it
in-process: 0 ok, 1 findings of severity error, 2 bad usage or bad input.
Each subcommand lives in its own module with `add_parser(subparsers)`; the
parser it adds sets `func(args) -> int`.
"""

import argparse
import importlib
import sys

from kerasdoc._errors import KerasDocError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

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
        return int(args.func(args))
    except KerasDocError as exc:
        print(f"kerasdoc {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"kerasdoc {args.command}: interrupted", file=sys.stderr)
        return 130
