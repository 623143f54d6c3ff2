"""Is this file an Annex A workbook? An xlsx (a zip whose parts are a spreadsheet's) by its first
bytes; that it holds Annex A lists is found when it is read."""

XLSX_PARTS = (b"[Content_Types].xml", b"xl/", b"docProps/", b"_rels/")


def detect(name: str, head: bytes) -> bool:
    if head[:4] != b"PK\x03\x04":
        return False
    first_part = head[30 : 30 + int.from_bytes(head[26:28], "little")]
    return name.lower().endswith((".xlsx", ".xlsm")) or first_part.startswith(XLSX_PARTS)
