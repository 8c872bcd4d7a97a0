"""The result of a check: an immutable record and its JSON payload (a leaf: imports nothing of mlcheck's but errors)."""

from mlcheck.results.record import *  # noqa: F401,F403
from mlcheck.results.record import __all__  # noqa: F401
