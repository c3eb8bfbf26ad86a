"""iCalendar invitations (RFC 5545/5546) written with the ``icalendar`` library.

A booking is ``METHOD:REQUEST`` with SEQUENCE 0; a reschedule the same UID with a higher
SEQUENCE; a cancellation ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and the next SEQUENCE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Momentum//Second-meeting engine//EN"


def invitation(
    *,
    method: str,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    stamp: datetime,
    summary: str,
    description: str,
    organizer_email: str,
    organizer_name: str | None,
    attendees: Sequence[tuple[str, str | None]],
    location: str | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    if organizer_name:
        organizer.params["cn"] = vText(organizer_name)
    event.add("organizer", organizer)
    for email, name in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        if name:
            attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
