"""The Children in Need census (DfE, XML): read into child-level tables and turned into the
standard measures. Pure: no Django. Follows ``returns.types.ReturnKind``."""

import re

from returns.cin.measures import MEASURES, measures
from returns.cin.reader import KIND, read

__all__ = ["KIND", "MEASURES", "detect", "measures", "read", "coverage"]

_COLLECTION = re.compile(rb"<(?:\w+:)?Collection>\s*CIN\s*</", re.IGNORECASE)
_MESSAGE = re.compile(rb"<(?:\w+:)?Message[\s>]")
_CHILDREN = re.compile(rb"<(?:\w+:)?(?:Children|Child|LAchildID|CINdetails)[\s>]")


def detect(name: str, head: bytes) -> bool:
    """A CIN census: XML whose header names the CIN collection, or a ``Message`` of children with
    episodes of need (the first kilobytes are enough)."""
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return False
    return bool(_COLLECTION.search(head)) or bool(_MESSAGE.search(head) and _CHILDREN.search(head))


def coverage(read) -> list[tuple]:
    """The spans (first day, reference date) the read censuses cover: their collection years."""
    collections = read.tables.get("collections")
    if collections is None:
        return []
    return [
        (row.start.date(), row.reference_date.date())
        for row in collections.itertuples()
        if row.start == row.start and row.reference_date == row.reference_date  # not NaT
    ]
