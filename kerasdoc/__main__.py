"""`python -m kerasdoc`: the command-line interface."""

import sys

from kerasdoc.cli import main

if __name__ == "__main__":
    sys.exit(main())
