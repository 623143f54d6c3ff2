"""Lists of children a partner sends for the intervention and comparison groups: one identifier
(LAchildID or CHILD, as in the return) per line, or the first column of a CSV, pseudonymised as
they are read with the same keyed HMAC as the return, so only pseudonyms are ever kept. Pure: no
Django."""

import csv
import io

from returns.types import Problem, Pseudonymise

MAX_BYTES = 5 * 1024 * 1024
MAX_CHILDREN = 200_000
HEADERS = {"lachildid", "child", "child_id", "childid", "child_ref", "id", "la_child_id", "person_id"}


def read_children(content: bytes, *, pseudonymise: Pseudonymise, label: str) -> tuple[frozenset[str], list[Problem]]:
    """The pseudonyms of the children listed in ``content``, or problems (which never quote an
    identifier). ``label`` names the list in problems ("the intervention list")."""
    if len(content) > MAX_BYTES:
        return frozenset(), [Problem("error", label, "", f"The list is larger than {MAX_BYTES // (1024 * 1024)} MB.")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text:
        return frozenset(), [Problem("error", label, "", "The list is not a text or CSV file of child identifiers.")]
    children: set[str] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        ref = row[0].strip() if row else ""
        if not ref or (number == 1 and ref.lower().replace(" ", "_") in HEADERS):
            continue
        children.add(pseudonymise(ref))
        if len(children) > MAX_CHILDREN:
            return frozenset(), [Problem("error", label, "", f"The list has more than {MAX_CHILDREN:,} children.")]
    if not children:
        return frozenset(), [Problem("error", label, "", "The list has no child identifiers: one per line, as in the return.")]
    return frozenset(children), []
