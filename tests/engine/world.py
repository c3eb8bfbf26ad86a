"""A small sales team for the engine's tests, built with the shared factories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from momentum.contact.models import Contact
from momentum.deal.models import Deal
from momentum.rep.models import Rep
from momentum.value_asset.models import ValueAsset, ValueAssetKind
from tests.factories import T0, make_deal, make_rep


@dataclass
class World:
    manager: Rep
    rep: Rep
    other: Rep
    deal: Deal
    other_deal: Deal
    asset_id: int


def make_contact(session: Session, *, deal: Deal, email: str, name: str | None = None) -> Contact:
    contact = Contact(deal_id=deal.id, email=email, name=name, created_at=T0)
    session.add(contact)
    session.flush()
    return contact


def make_asset(
    session: Session, *, title: str = "What plants like yours saved", at: datetime = T0
) -> ValueAsset:
    asset = ValueAsset(
        title=title,
        kind=ValueAssetKind.DATA_POINT,
        summary="Three plants cut changeover time by 31 % in a quarter.",
        url="https://example.test/changeover",
        tags="manufacturing",
        active=True,
        created_at=at,
    )
    session.add(asset)
    session.flush()
    return asset


def make_world(
    session: Session, *, timezone: str = "Europe/Berlin", country: str | None = "DE"
) -> World:
    manager = make_rep(
        session,
        id="mgr",
        name="Maya Manager",
        email="maya@seller.test",
        timezone=timezone,
        country=country,
    )
    rep = make_rep(
        session,
        id="ana",
        name="Ana Rep",
        email="ana@seller.test",
        timezone=timezone,
        country=country,
        manager_id="mgr",
    )
    other = make_rep(
        session,
        id="bo",
        name="Bo Other",
        email="bo@seller.test",
        timezone="America/New_York",
        country="US",
    )
    deal = make_deal(session, owner=rep, id="D1", account="Acme Tools", name="Acme rollout")
    other_deal = make_deal(session, owner=other, id="D2", account="Globex", name="Globex pilot")
    make_contact(session, deal=deal, email="buyer@acme.test", name="Bea Buyer")
    make_contact(session, deal=other_deal, email="cfo@globex.test", name="Carl CFO")
    asset = make_asset(session)
    return World(manager, rep, other, deal, other_deal, asset.id)
