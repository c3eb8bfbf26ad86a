"""The audit on the store gives what it gives on the files; bad input exits cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from momentum.audit.result import AuditOptions
from momentum.audit.service import audit, read_files, read_store
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.demo.generator import generate
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files


def test_the_store_audit_equals_the_files_audit(
    database: Database, tmp_path: Path, shared: Path
) -> None:
    from datetime import UTC, datetime

    demo = tmp_path / "demo"
    generate(demo, deals=150, seed=11, as_of=date(2026, 11, 26))
    for folder in (demo, shared / "examples" / "worked"):
        import_files(
            database,
            [folder],
            format="momentum",
            options=ReadOptions(),
            clock=FixedClock(datetime(2026, 11, 26, tzinfo=UTC)),
        )
    options = AuditOptions(compare_at=date(2026, 9, 1))
    from_files = audit(
        read_files([demo, shared / "examples" / "worked"], format=None, read=ReadOptions()), options
    )
    from_store = audit(read_store(database), options)
    assert from_store.report == from_files.report
    assert from_store.survival == from_files.survival


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "momentum", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_bad_files_give_row_and_column_and_a_non_zero_exit(write_files, tmp_path: Path) -> None:
    folder = write_files(
        {
            "deals.csv": "deal_id,owner_id,outcome\nd1,r1,won\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,hel\n",
        }
    )
    completed = _cli("audit", str(folder), "--json", "-", cwd=tmp_path)
    assert completed.returncode == 65
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        f"{folder}/deals.csv:2:closed_at: is required when outcome is won",
        f"{folder}/meetings.csv:2:status: must be one of scheduled, held, no_show, canceled, "
        "rescheduled, not 'hel'",
        "error: 2 problems found in the input; no audit was made",
    ]
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "momentum.db").exists()


def test_a_bad_option_is_a_usage_error(tmp_path: Path, shared: Path) -> None:
    completed = _cli("audit", str(shared / "examples" / "worked"), "--since", "March", cwd=tmp_path)
    assert completed.returncode == 2
    assert "'March' is not a date (YYYY-MM-DD)" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_period_that_ends_before_it_starts_is_a_usage_error(tmp_path: Path, shared: Path) -> None:
    worked = str(shared / "examples" / "worked")
    completed = _cli(
        "audit", worked, "--since", "2026-05-01", "--until", "2026-04-01", cwd=tmp_path
    )
    assert completed.returncode == 2  # it printed a report of 0 deals and exited 0
    assert "2026-05-01 is after --until 2026-04-01" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_audit_reads_the_store_when_no_path_is_given(tmp_path: Path, shared: Path) -> None:
    assert _cli("import", str(shared / "examples" / "worked"), cwd=tmp_path).returncode == 0
    completed = _cli("audit", "--json", "-", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    expected = json.loads((shared / "examples" / "worked" / "expected.json").read_text())
    printed = json.loads(completed.stdout)
    assert {key: printed[key] for key in expected} == expected


def test_reading_only_whether_text_was_written_changes_no_figure(tmp_path: Path) -> None:
    """The CLI's audit keeps agenda and homework as presence marks; every figure (the
    findings about agendas and homework included) is the same as from the full text."""
    generate(tmp_path, deals=200, seed=5, as_of=date(2026, 11, 26))
    options = AuditOptions(compare_at=date(2026, 9, 1))
    full = audit(read_files([tmp_path], format=None, read=ReadOptions()), options)
    marks = audit(
        read_files([tmp_path], format=None, read=ReadOptions(text_presence_only=True)), options
    )
    assert marks.report == full.report
    ids = {finding["id"] for finding in full.report["findings"]}
    assert {"second_meeting_without_agenda", "second_meeting_without_homework"} <= ids


WORKED = Path(__file__).parents[2] / "docs" / "examples" / "worked"


def test_a_reader_that_stops_early_loses_no_report_file(tmp_path: Path) -> None:
    """`momentum audit --html r.html | head -1` exited 1 in silence, and the files it said it
    wrote were gone: they are written before the terminal report, which a closed pipe ends."""
    for extra in (
        ["--html", "r.html"],
        ["--html", "r.html", "--json", "-"],
        ["--finding", "gap_too_long"],
    ):
        reader = subprocess.Popen(
            [sys.executable, "-m", "momentum", "audit", str(WORKED), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert reader.stdout is not None and reader.stderr is not None
        reader.stdout.close()  # the reader is gone before the first line, as `head -0`
        errors = reader.stderr.read().decode()
        reader.stderr.close()
        assert reader.wait(timeout=60) == 0, (extra, errors)
        assert "Traceback" not in errors
        if "--html" in extra:
            assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
            (tmp_path / "r.html").unlink()


def test_a_report_never_replaces_a_file_it_reads(tmp_path: Path) -> None:
    folder = tmp_path / "worked"
    folder.mkdir()
    for file in WORKED.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    deals = (folder / "deals.csv").read_bytes()
    for args in (
        ["worked", "--json", "worked/deals.csv"],
        ["worked/deals.csv", "worked/meetings.csv", "--html", "worked/deals.csv"],
    ):
        completed = _cli("audit", *args, cwd=tmp_path)
        assert completed.returncode == 73, completed.stderr
        assert "it is one of the files being audited" in completed.stderr
    (tmp_path / "m.toml").write_text('[deals.columns]\ndeal_id = "deal_id"\n')
    mapped = _cli("audit", "worked", "--mapping", "m.toml", "--html", "m.toml", cwd=tmp_path)
    assert mapped.returncode == 73 and "it is one of the files being audited" in mapped.stderr
    same = _cli("audit", "worked", "--json", "r.out", "--html", "r.out", cwd=tmp_path)
    assert same.returncode == 73 and "--json and --html name the same file" in same.stderr
    assert (folder / "deals.csv").read_bytes() == deals
    assert not (tmp_path / "r.out").exists()
