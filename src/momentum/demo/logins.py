"""Web app logins for the demo team: the admin, a manager per team (its lead, who reps too)
and a rep login for everyone else, all with one demo password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.rep.repository import RepRepository
from momentum.user.accounts import AccountService, SignInPolicy
from momentum.user.models import Role

DEMO_PASSWORD = "momentum-demo"
ADMIN_EMAIL = "admin@momentum-demo.example"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    role: Role
    rep_id: str | None
    team: str | None
    name: str | None = None


def create_demo_logins(
    session: Session, *, clock: Clock, policy: SignInPolicy | None = None
) -> list[DemoLogin]:
    """A login for the admin and for every rep with an email address; the reps others
    report to are managers. Logins that exist already are left as they are."""
    accounts = AccountService(session, clock=clock, policy=policy)
    reps = RepRepository(session).all()
    leads = {rep.manager_id for rep in reps if rep.manager_id}
    logins = [DemoLogin(ADMIN_EMAIL, Role.ADMIN, None, None)]
    logins += [
        DemoLogin(
            rep.email, Role.MANAGER if rep.id in leads else Role.REP, rep.id, rep.team, rep.name
        )
        for rep in reps
        if rep.email
    ]
    existing = {user.email for user in accounts.list_users()}
    for login in logins:
        if login.email.lower() not in existing:
            accounts.add_user(
                email=login.email,
                password=DEMO_PASSWORD,
                role=login.role,
                rep_id=login.rep_id,
                name=login.name,
            )
    return logins
