"""`python -m jaxlearn ...` is the `jaxlearn` command."""

import sys

from jaxlearn.cli import main

sys.exit(main())
