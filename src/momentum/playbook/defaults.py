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
        title="Return-on-investment review",
        body=(
            "Seller: Walk through an ROI model built on your own figures\n"
            "Buyer: Share last quarter's volumes and costs\n"
            "Buyer: Bring the person who signs off on budget"
        ),
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.AGENDA_TEMPLATE,
        step=PlaybookStep.SELL_THE_MEETING,
        title="Solution walk-through",
        body=(
            "Seller: Show how the three problems you named are solved\n"
            "Buyer: Confirm which of them matters most this quarter\n"
            "Buyer: Tell us how a decision gets made on your side"
        ),
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Numbers for the model",
        body="Pull last quarter's volumes and cost per unit (about 10 minutes).",
    ),
    NewPlaybookEntry(
        kind=PlaybookKind.HOMEWORK_TEMPLATE,
        step=PlaybookStep.HOMEWORK,
        title="Invite a stakeholder",
        body="Invite the colleague who owns the budget to meeting two.",
    ),
]
