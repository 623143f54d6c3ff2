"""Theories of change as data, and their diagram: pure functions, no database.

A theory of change is written as text, one element per line in each column, with links written as
``AC1 -> OP2`` (activity 1 leads to output 2) and outcome measures as ``ST1: re_referrals_12m``.
The content is stored as JSON:

    {"elements": [{"id": "AC1", "kind": "activities", "text": "..."}],
     "links": [["AC1", "OP2"]],
     "measures": {"ST1": ["re_referrals_12m"]}}
"""

import re
from dataclasses import dataclass
from html import escape
from textwrap import wrap

# Columns from left to right, with the short prefix used to name their elements.
KINDS = [
    ("inputs", "IN", "Inputs"),
    ("activities", "AC", "Activities"),
    ("outputs", "OP", "Outputs"),
    ("short_term", "ST", "Short-term outcomes"),
    ("long_term", "LT", "Long-term outcomes"),
    ("assumptions", "AR", "Assumptions and risks"),
]
PREFIX = {kind: prefix for kind, prefix, _ in KINDS}
LABEL = {kind: label for kind, _, label in KINDS}
OUTCOME_KINDS = ("short_term", "long_term")
LINK_LINE = re.compile(r"^\s*([A-Za-z]{2}\d+)\s*-+>\s*([A-Za-z]{2}\d+)\s*$")
MEASURE_LINE = re.compile(r"^\s*([A-Za-z]{2}\d+)\s*:\s*(.+)$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def parse(texts: dict[str, str], links_text: str, measures_text: str, *, known_measures: set[str]) -> tuple[dict, list[Problem]]:
    """Content from the form's text, and the problems found (line by line)."""
    elements = []
    for kind, prefix, _ in KINDS:
        lines = [line.strip() for line in texts.get(kind, "").splitlines() if line.strip()]
        elements += [{"id": f"{prefix}{n}", "kind": kind, "text": text[:300]} for n, text in enumerate(lines, start=1)]
    ids = {e["id"]: e for e in elements}
    problems: list[Problem] = []
    links = []
    for number, line in enumerate(links_text.splitlines(), start=1):
        if not line.strip():
            continue
        match = LINK_LINE.match(line)
        if not match:
            problems.append(Problem("links", f"Line {number}: write a link as “AC1 -> OP1”."))
            continue
        source, target = match.group(1).upper(), match.group(2).upper()
        missing = [name for name in (source, target) if name not in ids]
        if missing:
            problems.append(Problem("links", f"Line {number}: there is no {' or '.join(missing)}."))
        elif source == target:
            problems.append(Problem("links", f"Line {number}: an element cannot lead to itself."))
        elif [source, target] not in links:
            links.append([source, target])
    measures: dict[str, list[str]] = {}
    for number, line in enumerate(measures_text.splitlines(), start=1):
        if not line.strip():
            continue
        match = MEASURE_LINE.match(line)
        if not match:
            problems.append(Problem("measures", f"Line {number}: write “ST1: measure_code, measure_code”."))
            continue
        outcome = match.group(1).upper()
        codes = [code.strip() for code in match.group(2).split(",") if code.strip()]
        if outcome not in ids or ids[outcome]["kind"] not in OUTCOME_KINDS:
            problems.append(Problem("measures", f"Line {number}: {outcome} is not a short- or long-term outcome."))
            continue
        unknown = [code for code in codes if code not in known_measures]
        if unknown:
            problems.append(Problem("measures", f"Line {number}: unknown measure code {', '.join(unknown)}."))
            continue
        measures[outcome] = sorted(set(measures.get(outcome, [])) | set(codes))
    if not any(e["kind"] in OUTCOME_KINDS for e in elements):
        problems.append(Problem("short_term", "Add at least one outcome (short- or long-term)."))
    return {"elements": elements, "links": links, "measures": measures}, problems


def as_texts(content: dict) -> dict[str, str]:
    """The form's text for a stored content (the inverse of parse)."""
    texts = {kind: "\n".join(e["text"] for e in content.get("elements", []) if e["kind"] == kind) for kind, _, _ in KINDS}
    texts["links"] = "\n".join(f"{a} -> {b}" for a, b in content.get("links", []))
    texts["measures"] = "\n".join(f"{o}: {', '.join(codes)}" for o, codes in content.get("measures", {}).items())
    return texts


# --- the diagram ---------------------------------------------------------------------------------

BOX_W, BOX_GAP_X, LINE_H, PAD, HEADER_H, GAP_Y = 180, 50, 16, 8, 40, 14
COLOURS = {
    "inputs": "#f3f2f1", "activities": "#d2e2f1", "outputs": "#d2e2f1",
    "short_term": "#cce2d8", "long_term": "#cce2d8", "assumptions": "#fff7bf",
}  # fmt: skip


def svg(content: dict, *, title: str) -> str:
    """The theory of change as a standalone SVG: a column per kind, arrows for links."""
    columns = [(kind, [e for e in content.get("elements", []) if e["kind"] == kind]) for kind, _, _ in KINDS]
    boxes: dict[str, tuple[float, float, float, float]] = {}
    parts: list[str] = []
    height = HEADER_H
    for index, (kind, elements) in enumerate(columns):
        x = PAD + index * (BOX_W + BOX_GAP_X)
        parts.append(f'<text x="{x + BOX_W / 2}" y="24" text-anchor="middle" font-weight="bold">{escape(LABEL[kind])}</text>')
        y = HEADER_H
        for element in elements:
            lines = wrap(f"{element['id']}  {element['text']}", 26) or [element["id"]]
            measures = content.get("measures", {}).get(element["id"], [])
            lines += [f"measure: {code}" for code in measures]
            h = len(lines) * LINE_H + 2 * PAD
            boxes[element["id"]] = (x, y, BOX_W, h)
            parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{h}" rx="4" fill="{COLOURS[kind]}" stroke="#505a5f"/>')
            for n, line in enumerate(lines):
                style = ' font-style="italic"' if line.startswith("measure: ") else ""
                parts.append(f'<text x="{x + PAD}" y="{y + PAD + (n + 1) * LINE_H - 4}"{style}>{escape(line)}</text>')
            y += h + GAP_Y
        height = max(height, y)
    for source, target in content.get("links", []):
        if source in boxes and target in boxes:
            sx, sy, sw, sh = boxes[source]
            tx, ty, tw, th = boxes[target]
            x1, y1, x2, y2 = (sx + sw, sy + sh / 2, tx, ty + th / 2) if tx > sx else (sx, sy + sh / 2, tx + tw, ty + th / 2)
            parts.append(
                f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#0b0c0c" stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
    width = PAD * 2 + len(KINDS) * BOX_W + (len(KINDS) - 1) * BOX_GAP_X
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + PAD}" width="{width}" '
        f'height="{height + PAD}" role="img" aria-labelledby="toc-title" font-family="Arial, sans-serif" font-size="12">'
        f'<title id="toc-title">{escape(title)}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#0b0c0c"/></marker></defs>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>'
    )
