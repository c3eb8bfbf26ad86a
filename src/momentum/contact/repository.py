from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.contact.models import Contact


class ContactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_deal(self, deal_id: str) -> list[Contact]:
        return list(
            self.session.scalars(
                select(Contact).where(Contact.deal_id == deal_id).order_by(Contact.id)
            )
        )

    def for_deals(self, deal_ids: list[str]) -> list[Contact]:
        found: list[Contact] = []
        for start in range(0, len(deal_ids), 5_000):
            chunk = deal_ids[start : start + 5_000]
            found.extend(
                self.session.scalars(
                    select(Contact).where(Contact.deal_id.in_(chunk)).order_by(Contact.id)
                )
            )
        return found

    def find(self, deal_id: str, email: str) -> Contact | None:
        return self.session.scalars(
            select(Contact).where(Contact.deal_id == deal_id, Contact.email == email)
        ).first()

    def add(self, contact: Contact) -> Contact:
        self.session.add(contact)
        self.session.flush()
        return contact
