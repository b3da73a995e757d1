"""``python -m jobfsm``: the same as the ``jobfsm`` command."""

import sys

from jobfsm.cli import main

if __name__ == "__main__":
    sys.exit(main())
