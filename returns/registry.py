"""Which statutory returns this PINE reads, and which one a file is. Pure: no Django.

Each return is a package (``returns.cin``, ``returns.ssda903``, ``returns.annex_a``) following
``returns.types.ReturnKind``; a package that is not there is simply not offered, so the kinds
grow as packages are added."""

import importlib
from types import ModuleType

# Every kind PINE knows, in the order files are tried, with what people call it.
KINDS = {
    "cin": "a Children in Need census (XML)",
    "ssda903": "an SSDA903 return (the CSV tables, a zip of them, or XML)",
    "annex_a": "an Ofsted Annex A workbook (xlsx)",
}
HEAD_BYTES = 65_536  # what detection reads of each file


def _load(kind: str) -> ModuleType | None:
    name = f"returns.{kind}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name == name:  # the package is not there; a missing dependency inside it is a real error
            return None
        raise


def available() -> dict[str, ModuleType]:
    """The kinds whose package is present, in detection order."""
    found = {kind: _load(kind) for kind in KINDS}
    return {kind: module for kind, module in found.items() if module is not None}


def module(kind: str) -> ModuleType | None:
    return available().get(kind)


def detect(name: str, head: bytes) -> str | None:
    """The kind of one file from its name and first bytes, or None."""
    for kind, found in available().items():
        if found.detect(name, head):
            return kind
    return None


def choose(heads: list[tuple[str, bytes]], requested: str = "") -> tuple[str | None, str]:
    """The one kind of a set of files (``requested`` if given and present), or None and the reason,
    in words that name files by their position only."""
    kinds = available()
    readable = ", ".join(KINDS[k] for k in kinds)
    if requested:
        if requested not in KINDS:
            return None, f"PINE does not know the return kind {requested!r}: use one of {', '.join(KINDS)}."
        if requested not in kinds:
            return None, f"This PINE cannot read {KINDS[requested]} yet. It reads {readable}."
        return requested, ""
    if not heads:
        return None, "Choose at least one file."
    found = [detect(name, head) for name, head in heads]
    unknown = [n for n, kind in enumerate(found, start=1) if kind is None]
    if unknown:
        which = "The file" if len(heads) == 1 else "File " + ", ".join(str(n) for n in unknown)
        return None, (
            f"{which} is not a statutory return PINE recognises. PINE reads {readable}; "
            "send the file as it was made for the DfE or Ofsted, or choose its kind."
        )
    if len(set(found)) > 1:
        return None, "These files are of different kinds: import one return at a time."
    return found[0], ""


def coverage(kind: str, read) -> list[tuple]:
    """The spans of dates the read files cover completely (for a census, its collection years);
    empty when the package does not say."""
    found = module(kind)
    cover = getattr(found, "coverage", None) if found else None
    return cover(read) if cover else []
