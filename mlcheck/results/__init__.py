"""The result of a check: an immutable record, its JSON payload and the reading of its values.

A leaf: imports nothing of mlcheck's. Checks (:mod:`mlcheck.contracts`) build these
records; the display layer (:mod:`mlcheck.display`) decides what a card shows of them.
"""

from mlcheck.results.format import format_number, format_value
from mlcheck.results.record import MIME_TYPE, PAYLOAD_VERSION, CheckResult, Outcome, Severity, to_jsonable

__all__ = [
    "MIME_TYPE",
    "PAYLOAD_VERSION",
    "CheckResult",
    "Outcome",
    "Severity",
    "format_number",
    "format_value",
    "to_jsonable",
]
