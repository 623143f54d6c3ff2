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


# --- the structured editor: one element at a time ---------------------------------------------------
# Each change returns a new content (the saved versions are never changed in place). Elements keep
# the numbering the text form gives them (IN1, IN2… in order within their column), so the two
# editors always agree: removing one renumbers those after it and follows them in links and measures.

TEXT_MAX = 300


def element_choices(content: dict, *, exclude: str = "") -> list[tuple[str, str]]:
    """(id, "AC1 Offer a conference…") of every element, column by column, for the lists of links."""
    return [(e["id"], f"{e['id']} {e['text']}") for e in _ordered(content.get("elements", [])) if e["id"] != exclude]


def element_get(content: dict, element_id: str) -> dict | None:
    return next((e for e in content.get("elements", []) if e["id"] == element_id), None)


def links_of(content: dict, element_id: str) -> tuple[list[str], list[str]]:
    """(what it leads to, what leads to it)."""
    links = content.get("links", [])
    return [b for a, b in links if a == element_id], [a for a, b in links if b == element_id]


def _ordered(elements: list[dict]) -> list[dict]:
    order = {kind: n for n, (kind, _, _) in enumerate(KINDS)}
    return sorted(elements, key=lambda e: (order[e["kind"]], int(e["id"][2:])))


def _problems(content: dict, element_id: str, text: str, leads_to, comes_from, measures, known_measures) -> list[Problem]:
    problems = []
    if not text.strip():
        problems.append(Problem("text", "Describe the element"))
    elif len(text.strip()) > TEXT_MAX:
        problems.append(Problem("text", f"Describe the element in {TEXT_MAX} characters or fewer"))
    ids = {e["id"] for e in content.get("elements", [])}
    for field, chosen in (("leads_to", leads_to), ("comes_from", comes_from)):
        if any(other not in ids or other == element_id for other in chosen):
            problems.append(Problem(field, "Choose only other elements of this theory of change"))
    if any(code not in known_measures for code in measures):
        problems.append(Problem("measures", "Choose measures from the list"))
    return problems


def _with_links(content: dict, element_id: str, kind: str, leads_to, comes_from, measures) -> dict:
    links = [link for link in content.get("links", []) if element_id not in link]
    links += [[element_id, other] for other in leads_to] + [[other, element_id] for other in comes_from]
    unique: list[list[str]] = []
    for link in links:
        if link not in unique:
            unique.append(link)
    all_measures = {k: v for k, v in content.get("measures", {}).items() if k != element_id}
    if kind in OUTCOME_KINDS and measures:
        all_measures[element_id] = sorted(set(measures))
    return {**content, "links": unique, "measures": all_measures}


def element_add(
    content: dict, *, kind: str, text: str, leads_to=(), comes_from=(), measures=(), known_measures=frozenset()
) -> tuple[dict, list[Problem]]:
    """A new element at the end of its column, with its links (both ways) and, for an outcome, its measures."""
    if kind not in PREFIX:
        return content, [Problem("kind", "Choose what kind of element it is")]
    elements = list(content.get("elements", []))
    element_id = f"{PREFIX[kind]}{sum(1 for e in elements if e['kind'] == kind) + 1}"
    problems = _problems(content, element_id, text, leads_to, comes_from, measures, known_measures)
    if problems:
        return content, problems
    elements = _ordered([*elements, {"id": element_id, "kind": kind, "text": text.strip()}])
    new = _with_links(
        {"links": [], "measures": {}, **content, "elements": elements}, element_id, kind, leads_to, comes_from, measures
    )
    return new, []


def element_change(
    content: dict, element_id: str, *, text: str, leads_to=(), comes_from=(), measures=(), known_measures=frozenset()
) -> tuple[dict, list[Problem]]:
    """New words, links and measures for an element (its links replaced by those chosen)."""
    element = element_get(content, element_id)
    if element is None:
        return content, [Problem("text", "There is no such element")]
    problems = _problems(content, element_id, text, leads_to, comes_from, measures, known_measures)
    if problems:
        return content, problems
    elements = [{**e, "text": text.strip()} if e["id"] == element_id else e for e in content["elements"]]
    return _with_links({**content, "elements": elements}, element_id, element["kind"], leads_to, comes_from, measures), []


def element_remove(content: dict, element_id: str) -> dict:
    """The content without the element, its links and measures; those after it in its column move up."""
    element = element_get(content, element_id)
    if element is None:
        return content
    kept = [e for e in content["elements"] if e["id"] != element_id]
    renamed, counts = {}, {}
    for e in _ordered(kept):
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
        renamed[e["id"]] = f"{PREFIX[e['kind']]}{counts[e['kind']]}"
    return {
        **content,
        "elements": [{**e, "id": renamed[e["id"]]} for e in _ordered(kept)],
        "links": [[renamed[a], renamed[b]] for a, b in content.get("links", []) if element_id not in (a, b)],
        "measures": {renamed[k]: v for k, v in content.get("measures", {}).items() if k != element_id},
    }


# --- the diagram ---------------------------------------------------------------------------------

BOX_W, BOX_GAP_X, LINE_H, PAD, HEADER_H, GAP_Y = 170, 34, 16, 8, 40, 14
WRAP = 25  # characters a line in a box
COLOURS = {
    "inputs": "#f3f2f1", "activities": "#d2e2f1", "outputs": "#d2e2f1",
    "short_term": "#cce2d8", "long_term": "#cce2d8", "assumptions": "#fff7bf",
}  # fmt: skip


def svg(content: dict, *, title: str, measure_names: dict[str, str] | None = None, fit: bool = False) -> str:
    """The theory of change as a standalone SVG: a column per kind, arrows for links, each outcome's
    measures by name (``measure_names``: code to name; a code without one is shown as it is). Long
    text wraps inside its box. ``fit``: scale to the width of the page (for the page; a downloaded
    file keeps its size)."""
    measure_names = measure_names or {}
    columns = [(kind, [e for e in content.get("elements", []) if e["kind"] == kind]) for kind, _, _ in KINDS]
    boxes: dict[str, tuple[float, float, float, float]] = {}
    parts: list[str] = []
    height = HEADER_H
    for index, (kind, elements) in enumerate(columns):
        x = PAD + index * (BOX_W + BOX_GAP_X)
        parts.append(f'<text x="{x + BOX_W / 2}" y="24" text-anchor="middle" font-weight="bold">{escape(LABEL[kind])}</text>')
        y = HEADER_H
        for element in elements:
            lines = wrap(f"{element['id']}  {element['text']}", WRAP, break_long_words=True) or [element["id"]]
            measures = content.get("measures", {}).get(element["id"], [])
            for code in measures:
                lines += [
                    f"measure: {line}" if n == 0 else f"  {line}"
                    for n, line in enumerate(wrap(measure_names.get(code, code), WRAP - 9))
                ]
            h = len(lines) * LINE_H + 2 * PAD
            boxes[element["id"]] = (x, y, BOX_W, h)
            parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{h}" rx="4" fill="{COLOURS[kind]}" stroke="#505a5f"/>')
            for n, line in enumerate(lines):
                style = ' font-style="italic"' if line.startswith(("measure: ", "  ")) else ""
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
    size = (
        f'width="100%" style="max-width: {width}px; height: auto" preserveAspectRatio="xMinYMin meet"'
        if fit
        else f'width="{width}" height="{height + PAD}"'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + PAD}" {size} '
        f'role="img" aria-labelledby="toc-title" font-family="Arial, sans-serif" font-size="12">'
        f'<title id="toc-title">{escape(title)}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#0b0c0c"/></marker></defs>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>'
    )
