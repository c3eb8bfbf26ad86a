from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.contact.models import Contact
from momentum.contact.repository import ContactRepository
from momentum.contact.schemas import Attendee


class ContactService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.contacts = ContactRepository(session)

    def add_attendees(self, deal_id: str, attendees: Sequence[Attendee]) -> list[Contact]:
        """The deal's contacts for ``attendees``, adding those it does not have yet; a time
        zone given for a known contact replaces the one on file."""
        found: list[Contact] = []
        for attendee in attendees:
            contact = self.contacts.find(deal_id, attendee.email)
            if contact is None:
                contact = self.contacts.add(
                    Contact(
                        deal_id=deal_id,
                        name=attendee.name,
                        email=attendee.email,
                        timezone=attendee.timezone,
                        created_at=self.clock.now(),
                    )
                )
            elif attendee.timezone and contact.timezone != attendee.timezone:
                contact.timezone = attendee.timezone
                self.session.flush()
            found.append(contact)
        return found

    def emails_for(self, deal_id: str) -> list[str]:
        return [contact.email for contact in self.contacts.for_deal(deal_id)]

    def for_deal(self, deal_id: str) -> list[Contact]:
        return self.contacts.for_deal(deal_id)
