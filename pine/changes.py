"""Announcements that an evaluation changed (data stored, a period approved, a plan signed off, a
report built), for whatever keeps figures about it up to date (the dashboards in ``reports``).

The apps that make the changes sit below ``reports`` and may not import it; they announce the
change here and ``reports`` listens. Receivers only queue work (a debounced refresh): no business
logic runs in a signal."""

from django.dispatch import Signal

# Sent with keyword arguments partner_id, evaluation_id and what ("upload", "approval", ...).
evaluation_changed = Signal()


def announce_evaluation_changed(*, partner_id: int, evaluation_id: int, what: str) -> None:
    """Say that an evaluation changed, inside the transaction that changed it (receivers act once it
    commits)."""
    evaluation_changed.send(sender=None, partner_id=partner_id, evaluation_id=evaluation_id, what=what)
