"""What every document with a state shares (purchase orders, stocktakes, transfers, counter
sales, old parts, appointments): one event row per change of state. Each document keeps its
own words for refusals ("a sale that is paid…"), so those stay in its module."""

from pitstop.accounts.models import User


def record_event(document, actor: User | None, from_status: str, to_status: str, note: str = "") -> None:
    """Who moved the document, when, from which state to which, and why. Every event model
    hangs off its document as `events` (core.models.EventBase)."""
    document.events.create(
        actor=actor if actor and actor.pk else None,
        from_status=from_status,
        to_status=to_status,
        note=(note or "")[:200],
    )
