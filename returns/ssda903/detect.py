"""Is this file (or zip) an SSDA903 return? Decided from its name and first bytes only."""

import csv
import struct
import zlib

from .reader import identify

XML_MARKERS = (b"EXPSSDA903", b"<CHILDID>")


def _first_member(head: bytes) -> tuple[str, bytes] | None:
    """The name and first bytes of a zip's first file (folders skipped), from the zip's first bytes."""
    offset = 0
    while len(head) >= offset + 30 and head[offset : offset + 4] == b"PK\x03\x04":
        method = struct.unpack("<H", head[offset + 8 : offset + 10])[0]
        compressed = struct.unpack("<I", head[offset + 18 : offset + 22])[0]
        name_length, extra_length = struct.unpack("<HH", head[offset + 26 : offset + 30])
        name = head[offset + 30 : offset + 30 + name_length].decode("utf-8", "replace")
        start = offset + 30 + name_length + extra_length
        if name.endswith("/") and compressed == 0:  # a folder: the next member follows at once
            offset = start
            continue
        data = head[start:]
        if method == 0:
            return name, data
        if method == 8:
            try:
                return name, zlib.decompressobj(-15).decompress(data)
            except zlib.error:
                return name, b""
        return name, b""
    return None


def _looks_like(name: str, head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if text[:1] == b"<":
        return any(marker in head for marker in XML_MARKERS)
    if name.lower().endswith((".xlsx", ".xls", ".xml", ".pdf")):
        return False
    line = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        columns = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    return identify(columns, name) is not None


def detect(name: str, head: bytes) -> bool:
    """True for an SSDA903 table (CSV recognised by its columns), the XML form, or a zip whose
    first file is one of those."""
    if head[:4] == b"PK\x03\x04":
        member = _first_member(head)
        return member is not None and _looks_like(member[0], member[1])
    return _looks_like(name, head)
