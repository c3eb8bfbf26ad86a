"""When a next step was set for, and each time it moved.

A next step is updated in place, but it only ever moves with its meeting: a reschedule marks
the booked meeting ``rescheduled``, books a new one the old one points to
(``rescheduled_to_id``), records the status change and moves the open step onto the new
meeting. The meetings and their status changes are therefore the step's history, kept already:
the first meeting of the chain is the date it was set for, and each ``rescheduled`` change is
a move. A task step has no way to move, so its due date is the one it was set with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.next_step.models import NextStep, NextStepKind


@dataclass(frozen=True)
class NextStepMove:
    at: datetime
    from_due: datetime
    to_due: datetime
    source: str | None  # what moved it, as recorded ("app", ...)
    changed_by_user_id: int | None = None  # the signed-in user who moved it, where recorded


@dataclass(frozen=True)
class NextStepHistory:
    set_due: datetime  # what it was due at when it was set
    set_meeting_id: str | None  # the meeting it was set as
    moves: list[NextStepMove] = field(default_factory=list)  # oldest first


def history_of(
    step: NextStep, meetings: Sequence[Meeting], changes: Sequence[MeetingStatusChange]
) -> NextStepHistory:
    """``step``'s history from its deal's ``meetings`` and their status ``changes`` (pass
    them all): walks back from its meeting through the meetings rescheduled into it, up to
    the one it was set as."""
    if step.kind is not NextStepKind.MEETING or step.meeting_id is None:
        return NextStepHistory(set_due=step.due_at, set_meeting_id=step.meeting_id)
    moved_into = {m.rescheduled_to_id: m for m in meetings if m.rescheduled_to_id is not None}
    rescheduled = {c.meeting_id: c for c in changes if c.to_status is MeetingStatus.RESCHEDULED}
    moves: list[NextStepMove] = []
    meeting_id, due = step.meeting_id, step.due_at
    seen = {meeting_id}
    while (old := moved_into.get(meeting_id)) is not None and old.id not in seen:
        change = rescheduled.get(old.id)
        at = change.changed_at if change is not None else old.status_changed_at
        if at < step.created_at:
            break  # moved before this step was set: not this step's move
        moves.append(
            NextStepMove(
                at=at,
                from_due=old.start_at,
                to_due=due,
                source=change.source if change is not None else None,
                changed_by_user_id=change.changed_by_user_id if change is not None else None,
            )
        )
        meeting_id, due = old.id, old.start_at
        seen.add(meeting_id)
    moves.reverse()
    return NextStepHistory(set_due=due, set_meeting_id=meeting_id, moves=moves)
