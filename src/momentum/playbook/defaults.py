"""A starting playbook, written from the known fix, for a team that has none yet."""

from __future__ import annotations

from momentum.playbook.models import PlaybookKind, PlaybookStep
from momentum.playbook.schemas import NewPlaybookEntry

TALK = PlaybookKind.TALK_TRACK

STARTING_PLAYBOOK = [
    NewPlaybookEntry(
        kind=TALK,
        step=PlaybookStep.LOCK_IN,
        title="Book meeting two before we hang up",
        body=(
            "\"Before we wrap up, let's put the next conversation in the calendar while we are "
            "both here. I have Tuesday at 10:00 or Wednesday at 14:00 — which works better for "
            'you?"\nOffer two concrete slots within five business days; never ask an open '
            '"when suits you?". Send the invitation before you leave the call.'
        ),
    ),
    NewPlaybookEntry(
        kind=TALK,
        step=PlaybookStep.HOMEWORK,
        title="One light task for the buyer",
        body=(
            "\"To make our next meeting worth your time, could you pull last quarter's numbers "
            'for X? It takes ten minutes and lets me bring a model built on your data."\n'
            "Ask for one task that takes under 15 minutes and that meeting two needs."
        ),
    ),
    NewPlaybookEntry(
        kind=TALK,
        step=PlaybookStep.SELL_THE_MEETING,
        title="Make meeting two essential",
        body=(
            "\"Next time I'll bring a return-on-investment model with your own figures, and "
            "you'll bring who else needs to see it. That is the meeting where you find out "
            'whether this is worth doing."\nName what the buyer gets from meeting two, in their '
            "terms."
        ),
    ),
    NewPlaybookEntry(
        kind=TALK,
        step=PlaybookStep.SHORTEN_THE_GAP,
        title="Keep it within the week",
        body=(
            '"While this is fresh, let\'s meet again this week or early next." Momentum fades '
            "with every day: the close rate falls as the gap grows. Propose slots 3–5 business "
            "days out, not three weeks."
        ),
    ),
    NewPlaybookEntry(
        kind=TALK,
        step=PlaybookStep.CONFIRM_WITH_VALUE,
        title="Confirm with an insight, not a bare reminder",
        body=(
            "Two days before meeting two, send one insight, article or data point that matters "
            "to this buyer, with one line on why. The day before, confirm the agreed agenda and "
            "the homework."
        ),
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.AGENDA_TEMPLATE,
        step=PlaybookStep.SELL_THE_MEETING,
        title="Your numbers in an ROI model",
        body="Seller: A return-on-investment model built on your figures\nBuyer: Last quarter's volumes and costs for the process we discussed",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.AGENDA_TEMPLATE,
        step=PlaybookStep.SELL_THE_MEETING,
        title="Meet the people who decide",
        body="Seller: A short recap of meeting one for those who missed it\nSeller: Answers to open questions\nBuyer: The stakeholders who sign off, and what each needs to see",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.AGENDA_TEMPLATE,
        step=PlaybookStep.SELL_THE_MEETING,
        title="A demo on your own case",
        body="Seller: A walkthrough of your use case, with your data where possible\nBuyer: One real example from your team to run through it",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.AGENDA_TEMPLATE,
        step=PlaybookStep.SELL_THE_MEETING,
        title="Agree a plan to decide",
        body="Seller: A draft plan: steps, owners and dates to a decision\nBuyer: Your decision process and the criteria that matter",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Homework: Your numbers in an ROI model",
        body="Send the three figures we agreed (volumes, cost per unit, hours spent).",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Homework: Meet the people who decide",
        body="Invite the colleague who owns the budget.",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Homework: A demo on your own case",
        body="Pick one real case (a recent order, ticket or project) to use in the demo.",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Homework: Agree a plan to decide",
        body="Read the case study we sent and mark what applies to you.",
    ),
]
