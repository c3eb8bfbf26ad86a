"""What a trial on real-looking exports found the readers accepting silently, or reporting
twice: impossible booking times, notes the audit left out, problems hidden behind others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from momentum.errors import ValidationFailed
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog
from tests.cli_process import momentum
from tests.importers.helpers import DEALS, REPS, problems_of, read

MEETINGS = (
    "meeting_id,deal_id,start,end,booked_at,status\n"
    "m1,d1,2026-03-02T10:00:00Z,2026-03-02T10:30:00Z,2026-02-25T09:00:00Z,held\n"
    "m2,d1,2026-03-05T10:00:00Z,2026-03-05T10:30:00Z,2026-03-09T11:45:00Z,held\n"
    "m3,d2,2026-03-05T10:00:00Z,,2026-03-05T10:00:00Z,held\n"
    "m4,d2,2026-03-06T10:00:00Z,,2026-03-07T10:00:00Z,held\n"
)


def test_a_booking_after_the_meeting_started_is_unknown_with_a_note(write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    data = read(folder)
    booked = dict(zip(data.meetings["meeting_id"], data.meetings["booked_at"], strict=True))
    assert booked["m2"] is None and booked["m4"] is None  # after their start: unknown
    assert booked["m1"] is not None and booked["m3"] is not None  # at the start: fine
    assert data.notes == [
        f"{folder}/meetings.csv: 2 meetings were booked after they started (booked_at later "
        "than start; first on row 3), which cannot be: their booking time is taken as unknown"
    ]


def test_late_bookings_are_counted_across_batches(write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    assert read(folder, batch_rows=1).notes == read(folder).notes


def _worked(shared: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "worked"
    shutil.copytree(shared / "examples" / "worked", folder)
    (folder / "expected.json").unlink()
    return folder


def _audit(folder: Path) -> tuple[dict[str, object], list[str]]:
    completed = subprocess.run(
        [sys.executable, "-m", "momentum", "audit", str(folder), "--json", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout), completed.stderr.splitlines()


def test_the_audit_leaves_a_late_booking_out_of_the_on_the_spot_rate(
    shared: Path, tmp_path: Path
) -> None:
    """m2's booked_at four days after m2 started counted d1 as booked later (4 of 6 on the
    spot); its booking is unknown, so d1 is left out of the rate (4 of 5)."""
    folder = _worked(shared, tmp_path)
    meetings = folder / "meetings.csv"
    meetings.write_text(
        meetings.read_text().replace(
            "2026-03-05T10:45:00-05:00,2026-03-02T11:45:00-05:00",
            "2026-03-05T10:45:00-05:00,2026-03-09T11:45:00-05:00",
        )
    )
    printed, notes = _audit(folder)
    assert printed["second_meeting"]["booked_on_the_spot_rate"] == 0.8  # type: ignore[index]
    assert (
        f"note: {meetings}: 1 meeting was booked after it started (booked_at later than "
        "start; first on row 3), which cannot be: its booking time is taken as unknown"
    ) in notes


IMPLIED = (
    "note: 3 reps were not in a reps file and were created from the deals' owner_id column with the "
    "default time zone, UTC, and no public holidays (a reps file, or MOMENTUM_DEFAULT_TIMEZONE "
    "and MOMENTUM_DEFAULT_COUNTRY, can set them)"
)


def test_the_audit_says_owners_became_reps_with_the_defaults(shared: Path, tmp_path: Path) -> None:
    folder = _worked(shared, tmp_path)
    (folder / "reps.csv").unlink()
    _, notes = _audit(folder)
    assert notes == ["note: detected format: momentum (deals.csv, meetings.csv)", IMPLIED]
    run = momentum(
        "import",
        str(folder),
        cwd=tmp_path,
        env={"MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'momentum.db'}"},
    )
    assert run.code == 0, run.stderr
    assert IMPLIED in run.stdout.splitlines() + run.stderr.splitlines()


def test_the_default_country_s_holidays_are_named(write_files) -> None:
    folder = write_files({"deals.csv": "deal_id,owner_id,outcome\nd1,ann,open\n"})
    assert read(folder, default_timezone="Europe/Berlin", default_country="DE").notes == [
        "1 rep was not in a reps file and was created from the deals' owner_id column with the "
        "default time zone, Europe/Berlin, and the public holidays of DE (a reps file, or "
        "MOMENTUM_DEFAULT_TIMEZONE and MOMENTUM_DEFAULT_COUNTRY, can set them)"
    ]


OWNED = "deal_id,owner_id,outcome\nd1,r1,open\nd2,r2,open\nd3,r3,open\nd4,r4,open\nd5,r9,open\n"


def test_a_stray_byte_in_a_reps_file_is_one_problem_not_one_per_deal(write_files) -> None:
    reps = (
        b"rep_id,name,timezone\nr1,Ann,UTC\nr2,Bo Kr\xe4use,Europe/Berlin\nr3,Kei,Asia/Tokyo\n"
        b"r4,J\xc3\xb6rg,UTC\n"
    )
    folder = write_files({"reps.csv": reps, "deals.csv": OWNED})
    assert problems_of(folder) == [
        f"{folder}/reps.csv:3:name: 'Bo Kr\\xe4use' is not valid UTF-8 text (save the file as "
        "UTF-8)",
        f"{folder}/deals.csv:6:owner_id: 'r9' is not a rep_id in {folder}/reps.csv",
    ]


def test_a_reps_file_that_cannot_be_read_whole_is_one_line_not_one_per_deal(
    write_files,
) -> None:
    reps = 'rep_id,name,timezone\nr1,Ann,UTC\nr2,"Bo,Europe/Berlin\nr3,Kei,Asia/Tokyo\n'
    folder = write_files({"reps.csv": reps, "deals.csv": OWNED})
    with pytest.raises(ValidationFailed) as failure:
        read(folder)
    assert [str(p) for p in failure.value.problems] == [
        f"{folder}/reps.csv:3: a quoted field is opened but never closed"
    ]
    assert failure.value.notes == [
        f"the owners in {folder}/deals.csv were not checked against {folder}/reps.csv, which "
        "could not be read whole"
    ]


def test_amounts_in_exponent_notation_and_negative_amounts_are_read(write_files) -> None:
    """docs/data-format.md: a plain number, exponent notation read exactly, negative allowed."""
    deals = "deal_id,owner_id,outcome,amount\nd1,r1,open,1e5\nd2,r1,open,-12000\n"
    data = read(write_files({"reps.csv": REPS, "deals.csv": deals}))
    assert data.deals["amount"].to_list() == [100000.0, -12000.0]
    text = (Path(__file__).parents[2] / "docs" / "data-format.md").read_text()
    assert "exponent notation" in text and "may be negative" in text


def test_rows_before_an_unclosed_quote_are_checked_in_the_same_run(write_files) -> None:
    rows = "".join(f"m{n},d1,2026-03-02T10:00:00Z,held\n" for n in range(5, 21))
    meetings = (
        "meeting_id,deal_id,start,status\nm2,d1,2026-03-02T10:00:00Z,held\n"
        "m3,d1,2026-03-02T10:00:00Z,held\nm4,d404,2026-03-02T10:00:00Z,held\n"
        f'{rows}m21,d1,2026-03-02T10:00:00Z,"held\nm22,d1,2026-03-02T10:00:00Z,held\n'
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings})
    assert problems_of(folder) == [
        f"{folder}/meetings.csv:4:deal_id: 'd404' is not a deal_id in {folder}/deals.csv",
        f"{folder}/meetings.csv:21: a quoted field is opened but never closed",
    ]


def test_rows_before_a_row_with_too_many_fields_are_checked_in_the_same_run(
    write_files,
) -> None:
    meetings = (
        "meeting_id,deal_id,start,status\nm2,d1,2026-03-02T10:00:00Z,held\n"
        "m3,d404,2026-03-02T10:00:00Z,held\nm4,d1,2026-03-02T10:00:00Z,held,extra\n"
        "m5,d1,2026-03-02T10:00:00Z,held\n"
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings})
    assert problems_of(folder) == [
        f"{folder}/meetings.csv:3:deal_id: 'd404' is not a deal_id in {folder}/deals.csv",
        f"{folder}/meetings.csv:4: has 5 fields but the header has 4",
    ]


def test_a_refused_import_leaves_no_store_and_the_audit_says_so(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "meetings.csv").write_text(
        "meeting_id,deal_id,start,status\nm1,d9,x,held\n"
    )
    run = momentum("import", "bad", cwd=tmp_path, env={})
    assert run.code == 65 and "nothing was imported; the store is unchanged" in run.stderr
    assert not (tmp_path / "momentum.db").exists()
    run = momentum("audit", cwd=tmp_path, env={})
    assert run.code == 69 and "there is no store at momentum.db" in run.stderr


def test_reps_implied_from_a_crm_export_name_its_owner_column(shared: Path) -> None:
    folder = shared / "data/real/crm/salesforce-data-cloud-workshop"
    notes = (
        open_reader([folder], format=None, options=ReadOptions(), problems=ProblemLog())
        .read_all()
        .notes
    )
    assert any("created from the deals' OwnerId column" in note for note in notes), notes
