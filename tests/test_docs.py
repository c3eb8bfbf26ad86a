"""The docs stay true: the audit's worked example computes what the page says, the CLI
reference is current, and every setting is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

from momentum.audit.result import AuditOptions
from momentum.audit.service import audit, read_files
from momentum.config import Settings
from momentum.importers.canonical import ReadOptions

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _blocks(text: str) -> dict[str, str]:
    return dict(re.findall(r"```(\w+ [\w.]+)\n(.*?)```", text, re.S))


def test_the_worked_example_in_the_audit_docs_computes_what_it_says(tmp_path: Path) -> None:
    blocks = _blocks((DOCS / "audit.md").read_text())
    for name in ("reps.csv", "deals.csv", "meetings.csv"):
        (tmp_path / name).write_text(blocks[f"csv {name}"])
    expected = json.loads(blocks["json expected"])
    report = audit(read_files([tmp_path], format=None, read=ReadOptions()), AuditOptions()).report
    assert {key: report[key] for key in expected} == expected
    # four deals establish nothing: every finding is listed apart, unranked
    assert report["findings"] and all(
        not f["established"] and f["rank"] is None for f in report["findings"]
    )


def test_the_cli_reference_is_current() -> None:
    from tests.cli_reference import render

    current = (DOCS / "reference" / "cli.md").read_text()
    assert current == render(), "docs/reference/cli.md is stale: run `make docs`"


def test_every_setting_is_documented() -> None:
    text = "".join(path.read_text() for path in DOCS.glob("configuration*.md"))
    missing = [
        f"MOMENTUM_{name.upper()}"
        for name in Settings.model_fields
        if f"MOMENTUM_{name.upper()}" not in text
    ]
    assert missing == []


def test_the_reminders_doc_says_which_buyer_messages_wait_for_business_hours() -> None:
    """It said "Nothing goes to a buyer in quiet hours … or on a weekend or holiday", while
    invitations, updates and cancellations go at once (as they should: they answer the rep)."""
    text = " ".join((DOCS / "reminders.md").read_text().split())
    assert "Nothing goes to a buyer" not in text
    assert "The two reminders, the value reminder and the confirmation" in text
    assert "they never reach a buyer in **quiet hours**" in text
    assert '**invitation, the update ("Moved: …") and the cancellation go out at once**' in text
