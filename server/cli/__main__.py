"""`python -m server.cli`: the same as `shopfloor-server`."""

import sys

from server.cli import main

sys.exit(main())
