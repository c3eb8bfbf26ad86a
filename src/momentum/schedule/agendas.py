"""Two-sided agendas for meeting two: what we bring and what the buyer brings, so the next
meeting is worth the buyer's time. A rep starts from one and edits it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgendaTemplate:
    key: str
    name: str
    seller: tuple[str, ...]
    buyer: tuple[str, ...]
    homework: str


AGENDA_TEMPLATES: tuple[AgendaTemplate, ...] = (
    AgendaTemplate(
        key="roi",
        name="Your numbers in an ROI model",
        seller=("A return-on-investment model built on your figures",),
        buyer=("Last quarter's volumes and costs for the process we discussed",),
        homework="Send the three figures we agreed (volumes, cost per unit, hours spent).",
    ),
    AgendaTemplate(
        key="stakeholders",
        name="Meet the people who decide",
        seller=(
            "A short recap of meeting one for those who missed it",
            "Answers to open questions",
        ),
        buyer=("The stakeholders who sign off, and what each needs to see",),
        homework="Invite the colleague who owns the budget.",
    ),
    AgendaTemplate(
        key="demo",
        name="A demo on your own case",
        seller=("A walkthrough of your use case, with your data where possible",),
        buyer=("One real example from your team to run through it",),
        homework="Pick one real case (a recent order, ticket or project) to use in the demo.",
    ),
    AgendaTemplate(
        key="plan",
        name="Agree a plan to decide",
        seller=("A draft plan: steps, owners and dates to a decision",),
        buyer=("Your decision process and the criteria that matter",),
        homework="Read the case study we sent and mark what applies to you.",
    ),
)


def agenda_template(key: str | None) -> AgendaTemplate | None:
    return next((t for t in AGENDA_TEMPLATES if t.key == key), None)
