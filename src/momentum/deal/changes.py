"""Which deals a unit of work changed, so the rules can re-evaluate exactly those.

Services call :func:`mark_changed`; the rule engine, attached to the store's sessions, reads
:func:`take_changed` just before the unit of work commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

_KEY = "momentum.changed_deals"


def mark_changed(session: Session, deal_id: str) -> None:
    session.info.setdefault(_KEY, set()).add(deal_id)


def take_changed(session: Session) -> set[str]:
    changed: set[str] = session.info.pop(_KEY, set())
    return changed
