"""Collecting a return's problems without flooding: the first few of each kind are listed with
where they are (element path or file and row, and the field), the rest counted in one more line.
No problem ever quotes a value from the file. Pure: no Django."""

from collections import Counter

from returns.types import Problem

SHOWN_PER_KIND = 20  # problems of one kind (severity, field and message) listed before counting the rest


class Findings:
    def __init__(self, shown_per_kind: int = SHOWN_PER_KIND):
        self.shown_per_kind = shown_per_kind
        self._listed: list[Problem] = []
        self._counts: Counter = Counter()

    def add(self, severity: str, where: str, field: str, message: str) -> None:
        kind = (severity, field, message)
        self._counts[kind] += 1
        if self._counts[kind] <= self.shown_per_kind:
            self._listed.append(Problem(severity, where, field, message))

    def error(self, where: str, field: str, message: str) -> None:
        self.add("error", where, field, message)

    def warning(self, where: str, field: str, message: str) -> None:
        self.add("warning", where, field, message)

    @property
    def has_errors(self) -> bool:
        return any(kind[0] == "error" for kind in self._counts)

    def problems(self) -> list[Problem]:
        """Errors first, then warnings; each kind past its first few as one line that counts them."""
        more = [
            Problem(severity, "(more)", field, f"{count - self.shown_per_kind:,} more like this: {message}")
            for (severity, field, message), count in self._counts.items()
            if count > self.shown_per_kind
        ]
        listed = self._listed + more
        return sorted(listed, key=lambda p: p.severity != "error")
