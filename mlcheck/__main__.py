import sys

from mlcheck.cli import main

sys.exit(main())
