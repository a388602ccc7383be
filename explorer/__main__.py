"""`python -m explorer` behaves like the `explorer` command."""

import sys

from .cli import main

sys.exit(main())
