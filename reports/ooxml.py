"""Office Open XML files (the report's XLSX and DOCX) as reproducible bytes.

Both are ZIP archives, and zipfile dates every entry with the moment it was written: the same
content would give different bytes on every build. Writing the entries again with one fixed date
makes a rebuilt report version byte-identical to the first.
"""

import io
import re
import zipfile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP entry can carry
# Characters XML 1.0 cannot carry (both libraries refuse them): dropped from any text written.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value) -> str:
    """Text a document can carry: characters XML cannot hold are left out."""
    return _NOT_XML.sub("", "" if value is None else str(value))


# Pictures are compressed already: deflating them again (twice a Word document) gained nothing and
# took a third of a second a report.
STORED = (".png", ".jpeg", ".jpg", ".gif")


def stable_zip(content: bytes) -> bytes:
    """The same archive, entries in the same order, each dated `FIXED_DATE` (pictures stored as they are)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            kind = zipfile.ZIP_STORED if entry.filename.lower().endswith(STORED) else zipfile.ZIP_DEFLATED
            target.writestr(zipfile.ZipInfo(entry.filename, date_time=FIXED_DATE), source.read(entry), kind)
    return out.getvalue()
