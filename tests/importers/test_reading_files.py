"""Files are read as they are named, and every file refused or skipped is named with why:
``momentum import`` and ``momentum audit`` run as a user runs them, in a separate process."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.cli_process import Run, momentum, shared_folder

REPS = "rep_id,name,timezone\nr1,Ann,Europe/Berlin\n"
DEALS = "deal_id,name,owner_id,outcome,closed_at\n"


def deal(deal_id: str, name: str = "Acme") -> str:
    return f"{deal_id},{name},r1,won,2026-03-20\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def stored(folder: Path, query: str = "select id from deal order by id") -> list[object]:
    """What the store in ``folder`` holds (nothing when there is no store yet)."""
    if not (folder / "momentum.db").exists():
        return []
    with sqlite3.connect(folder / "momentum.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        return [row[0] for row in connection.execute(query)] if "deal" in tables else []


def refused(run: Run, *lines: str) -> None:
    """Exit 65, no traceback, each of ``lines`` among the error lines."""
    assert run.code == 65, run.stderr
    assert "Traceback" not in run.stderr
    for line in lines:
        assert line in run.error_lines, run.stderr


# -- 4. a path is the file it names ------------------------------------------------------------


def test_a_name_with_a_star_is_that_file_not_a_pattern(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals*.csv", DEALS + deal("d1"))
    write(tmp_path, "deals_other.csv", DEALS + deal("d2"))
    run = momentum("import", "reps.csv", "deals*.csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path) == ["d1"]


def test_a_name_with_brackets_is_that_file(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals[1].csv", DEALS + deal("d1"))
    write(tmp_path, "deals1.csv", DEALS + deal("d2"))
    run = momentum("import", "reps.csv", "deals[1].csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path) == ["d1"]


def test_a_pattern_that_names_no_file_does_not_exist(tmp_path: Path) -> None:
    write(tmp_path, "deals1.csv", DEALS + deal("d1"))
    run = momentum("import", "deals?.csv", cwd=tmp_path)
    refused(run, "deals?.csv: does not exist")


# -- 5. line ends and encodings ----------------------------------------------------------------


def test_lines_ending_in_cr_only_are_read_as_lines(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS.replace("\n", "\r"))
    write(tmp_path, "deals.csv", (DEALS + deal("d1") + deal("d2", "Café")).replace("\n", "\r"))
    run = momentum("import", ".", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path, "select name from deal order by id") == ["Acme", "Café"]


def test_cr_only_lines_in_a_code_page_file_are_read_as_lines(tmp_path: Path) -> None:
    header = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner\r"
    write(tmp_path, "hs.csv", (header + "1,Caf\xe9,closedwon,100,03/20/2026,r1\r").encode("cp1252"))
    run = momentum("import", "hs.csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path, "select name from deal") == ["Café"]


def test_cr_only_lines_with_a_line_break_inside_a_quoted_value(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS)
    rows = DEALS + deal("d1") + 'd2,"two\nlines",r1,won,2026-03-20\n' + deal("d3")
    write(tmp_path, "deals.csv", rows.replace(",r1", ",r1").replace("\n" + "d", "\r" + "d"))
    text = (tmp_path / "deals.csv").read_bytes()
    assert text.count(b"\r") == 3 and text.count(b"\n") == 2  # one inside the quotes
    run = momentum("import", "reps.csv", "deals.csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path, "select name from deal order by id") == ["Acme", "two\nlines", "Acme"]


def test_a_header_written_with_spaces_around_it_is_read(tmp_path: Path) -> None:
    header = "Record ID,Deal Name,Deal Stage,Deal owner, Amount ,Close Date\n"
    write(tmp_path, "hs.csv", header + "1,A,closedwon,r1,5,03/20/2026\n")
    run = momentum("import", "hs.csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert stored(tmp_path, "select amount from deal") == [5]


@pytest.mark.parametrize(
    ("name", "header", "row", "column"),
    [
        ("deals.csv", DEALS, "{id},{name},r1,won,2026-03-20\n", "name"),
        (
            "hs.csv",
            "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner\n",
            "{id},{name},closedwon,100,03/20/2026,r1\n",
            "Deal Name",
        ),
    ],
)
def test_one_stray_latin1_byte_in_a_utf8_file_names_its_row(
    tmp_path: Path, name: str, header: str, row: str, column: str
) -> None:
    rows = [row.format(id=i, name="Müller & Söhne") for i in range(1, 5)]
    rows.insert(2, row.format(id=9, name="Caf\udce9"))  # row 4: é as Latin-1 writes it
    write(tmp_path, name, "".join([header, *rows]).encode("utf-8", "surrogateescape"))
    run = momentum("import", name, cwd=tmp_path)
    refused(run, f"{name}:4:{column}: 'Caf\\xe9' is not valid UTF-8 text (save the file as UTF-8)")
    assert stored(tmp_path) == []


def test_a_whole_file_in_a_code_page_is_read_as_that_code_page_with_a_note(tmp_path: Path) -> None:
    header = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner\n"
    write(tmp_path, "hs.csv", (header + "1,Müller,closedwon,100,03/20/2026,r1\n").encode("cp1252"))
    run = momentum("import", "hs.csv", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "hs.csv is not UTF-8; it was read as Windows-1252 (detected)" in run.stdout + run.stderr
    assert stored(tmp_path, "select name from deal") == ["Müller"]


# -- 6. files skipped, refused, and what is wrong with a header ---------------------------------

UTF16_WITHOUT_BOM = (DEALS + deal("d8")).encode("utf-16-le")
BINARY = bytes(range(256)) * 8


def unusable_files(folder: Path) -> dict[str, str]:
    """One file of each kind that cannot be read, in ``folder``: its name -> why."""
    write(folder, "other.csv", "foo,bar\n1,2\n")
    write(folder, "binary.csv", BINARY)
    write(folder, "utf16.csv", UTF16_WITHOUT_BOM)
    os.mkfifo(folder / "pipe.csv")
    (folder / "loop.csv").symlink_to("loop.csv")
    (folder / "gone.csv").symlink_to("nowhere.csv")
    return {
        "other.csv": "the header matches none of the formats momentum, salesforce, hubspot, "
        "pipedrive",
        "binary.csv": "is binary data, not a text export (it holds control bytes such as NUL)",
        "utf16.csv": "looks like UTF-16 text without a byte-order mark, which cannot be told "
        "apart from binary data; save it as UTF-8 (or UTF-16 with a byte-order mark)",
        "pipe.csv": "is a named pipe (FIFO), not a file; save what it gives to a file and name "
        "that",
        "loop.csv": "is a symbolic link that loops back on itself",
        "gone.csv": "is a symbolic link to nowhere.csv, which does not exist",
    }


def test_a_folder_names_each_file_it_skips_and_reads_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder, "reps.csv", REPS)
    write(folder, "deals.csv", DEALS + deal("d1"))
    reasons = unusable_files(folder)
    run = momentum("import", "export", cwd=tmp_path, timeout=60)
    assert run.code == 0, run.stderr
    for name, reason in reasons.items():
        assert f"note: skipped export/{name}: {reason}" in run.error_lines, run.stderr
    assert stored(tmp_path) == ["d1"]


def test_the_audit_of_a_folder_names_the_files_it_skips_on_stderr(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder, "reps.csv", REPS)
    write(folder, "deals.csv", DEALS + deal("d1"))
    reasons = unusable_files(folder)
    run = momentum("audit", "export", "--json", "-", cwd=tmp_path, timeout=60)
    assert run.code == 0, run.stderr
    assert '"deals": 1' in run.stdout
    assert all(line.startswith("note: ") for line in run.error_lines), run.stderr
    for name, reason in reasons.items():
        assert f"note: skipped export/{name}: {reason}" in run.error_lines, run.stderr


@pytest.mark.parametrize("command", ["import", "audit"])
def test_a_table_that_cannot_be_read_is_a_problem_not_a_note(tmp_path: Path, command: str) -> None:
    """A folder's deals.csv is the deals themselves: one that cannot be read is refused, with
    why, rather than passed over with a note under every meeting's unknown deal."""
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder, "reps.csv", REPS)
    write(folder, "deals.csv", UTF16_WITHOUT_BOM)
    write(folder, "meetings.csv", "meeting_id,deal_id,start,status\nm1,d8,2026-03-02,held\n")
    run = momentum(command, "export", cwd=tmp_path, timeout=60)
    assert run.code == 65, run.stderr
    assert run.error_lines[0].startswith("export/deals.csv: looks like UTF-16"), run.stderr
    assert not any("is not a deal_id" in line for line in run.error_lines), run.stderr


def test_a_folder_with_nothing_readable_says_why_for_each_file(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder, "binary.csv", BINARY)
    write(folder, "calendar.ics", BINARY)  # its bytes were quoted, control characters and all
    os.mkfifo(folder / "pipe.csv")
    run = momentum("import", "export", cwd=tmp_path, timeout=60)
    refused(
        run,
        "export/binary.csv: is binary data, not a text export (it holds control bytes such as NUL)",
        "export/calendar.ics: is binary data, not a text export (it holds control bytes such as "
        "NUL)",
        "export/pipe.csv: is a named pipe (FIFO), not a file; save what it gives to a file and "
        "name that",
        "export: holds no .csv or .ics file that can be read",
    )


@pytest.mark.parametrize(
    "name", ["other.csv", "binary.csv", "utf16.csv", "pipe.csv", "loop.csv", "gone.csv"]
)
def test_a_named_file_that_cannot_be_read_is_refused_with_why(tmp_path: Path, name: str) -> None:
    reason = unusable_files(tmp_path)[name]
    run = momentum("import", name, cwd=tmp_path, timeout=60)
    if name == "other.csv":
        reason = (
            f"{reason}; name the format with --format, or describe the columns in a --mapping file"
        )
        refused(run, f"{name}:1: {reason}")
    else:
        refused(run, f"{name}: {reason}")
    assert stored(tmp_path) == []


def test_a_named_unreadable_file_exits_65_like_the_others() -> None:
    with shared_folder() as folder:
        write(folder, "reps.csv", REPS)
        write(folder, "deals.csv", DEALS + deal("d1")).chmod(0o000)
        run = momentum("import", "reps.csv", "deals.csv", cwd=folder, unprivileged=True)
        refused(run, "deals.csv: cannot be read: Permission denied")


def test_a_header_that_names_a_column_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals.csv", "deal_id,owner_id,Outcome,closed_at,outcome \nd1,r1,won,,lost\n")
    run = momentum("import", "reps.csv", "deals.csv", cwd=tmp_path)
    refused(
        run,
        "deals.csv:1:outcome: the header names this column twice (columns 3 and 5); "
        "rename or remove one",
    )
    assert stored(tmp_path) == []


def test_a_header_wider_than_its_rows_names_the_rows(tmp_path: Path) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals.csv", DEALS + "d1,r1,won,2026-03-20\nd2,r1,won,2026-03-20\n")
    run = momentum("import", "reps.csv", "deals.csv", cwd=tmp_path)
    refused(
        run,
        "deals.csv:2: has 4 fields but the header has 5",
        "deals.csv:3: has 4 fields but the header has 5",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (DEALS + deal("d1", "x" * 9_000_000), "deals.csv:2: is longer than 1 MiB"),
        ("y" * 9_000_000, "deals.csv:1: is longer than 1 MiB"),
    ],
)
def test_an_endless_line_is_refused_before_it_is_parsed(
    tmp_path: Path, text: str, problem: str
) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals.csv", text)
    run = momentum("import", "reps.csv", "deals.csv", cwd=tmp_path)
    refused(
        run,
        f"{problem}; a row may have at most 1,048,576 bytes "
        "(is a quote missing, or a whole document in one cell?)",
    )


MEETINGS = "meeting_id,deal_id,start,end,status\n"


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (
            "2026-03-29T02:30",
            "2026-03-29T03:15",
            "'2026-03-29T03:15' is before the start '2026-03-29T02:30': the start is in the hour "
            "skipped when the clocks went forward in Europe/Berlin, so it is read as "
            "2026-03-29T03:30",
        ),
        (
            "2026-10-25T02:40",
            "2026-10-25T02:10",
            "'2026-10-25T02:10' is before the start '2026-10-25T02:40': the end is in the hour "
            "repeated when the clocks went back in Europe/Berlin, so it is read as the first "
            "occurrence (write the offset, +01:00, for the second)",
        ),
        (
            "2026-03-20T10:00",
            "2026-03-20T09:00",
            "'2026-03-20T09:00' is before the start '2026-03-20T10:00'",
        ),
    ],
)
def test_an_end_before_its_start_across_a_clock_change_says_the_clock_changed(
    tmp_path: Path, start: str, end: str, reason: str
) -> None:
    write(tmp_path, "reps.csv", REPS)
    write(tmp_path, "deals.csv", DEALS + "d1,Acme,r1,open,\n")
    write(tmp_path, "meetings.csv", MEETINGS + f"m1,d1,{start},{end},held\n")
    run = momentum("import", ".", cwd=tmp_path)
    refused(run, f"meetings.csv:2:end: {reason}")


# -- 16. momentum audit PATH… reads files as momentum import does --------------------------------

MAPPING = """
[reps]
file = "team.csv"
[reps.columns]
rep_id = "Seller"
[deals]
file = "pipeline.csv"
[deals.columns]
deal_id = "Id"
owner_id = "Seller"
outcome = "Result"
closed_at = "Closed"
[deals.values.outcome]
Gewonnen = "won"
Offen = "open"
"""


def mapped_export(folder: Path) -> None:
    write(folder, "map.toml", MAPPING)
    write(folder, "team.csv", "Seller\nr1\n")
    write(
        folder, "pipeline.csv", "Id,Seller,Result,Closed\nd1,r1,Gewonnen,20/03/2026\nd2,r1,Offen,\n"
    )


@pytest.mark.parametrize("command", ["import", "audit"])
def test_audit_and_import_take_the_same_reading_options(tmp_path: Path, command: str) -> None:
    mapped_export(tmp_path)
    options = ["--mapping", "map.toml", "--date-order", "dmy", "--timezone", "Europe/Berlin"]
    output = ["--json", "-"] if command == "audit" else []
    run = momentum(command, "team.csv", "pipeline.csv", *options, *output, cwd=tmp_path)
    assert run.code == 0, run.stderr
    if command == "audit":
        assert '"deals": 2' in run.stdout
    else:
        assert stored(tmp_path, "select closed_at from deal where id = 'd1'") == [
            "2026-03-19 23:00:00.000000"
        ]


@pytest.mark.parametrize("command", ["import", "audit"])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timezone", "Mars/Olympus", "'Mars/Olympus' is not a time zone; expected an IANA"),
        ("--date-order", "ymd", "'ymd' is not a date order; expected dmy or mdy"),
        ("--format", "excel", "'excel' is not a format; expected one of momentum, salesforce"),
    ],
)
def test_a_bad_reading_option_is_refused_the_same_way_by_both(
    tmp_path: Path, command: str, option: str, value: str, message: str
) -> None:
    """A value an option cannot take is a wrong command line (exit 2), as a --since date
    that is not one, not bad input (65); nothing is read, and no store is made."""
    write(tmp_path, "reps.csv", REPS)
    run = momentum(command, "reps.csv", option, value, cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert message in " ".join(run.stderr.replace("│", " ").split()), run.stderr
    assert "Traceback" not in run.stderr
    assert not list(tmp_path.glob("*.db"))


def test_the_reading_options_are_refused_when_the_audit_reads_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from momentum.cli import app

    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    for option in (
        "--format=salesforce",
        "--mapping=map.toml",
        "--date-order=dmy",
        "--timezone=UTC",
    ):
        run = CliRunner().invoke(app, ["audit", option])
        assert run.exit_code == 2, (option, run.output)
        assert "the store is audited when no path is given" in run.output, option


def test_output_options_that_cannot_be_met_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from momentum.cli import app

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "reps.csv", REPS)
    for args, message in (
        (["--html", "-"], "writes the report to a file: give its path"),
        (["--finding", "gap_too_long", "--json", "-"], "leave out --json and --html"),
        (["--finding", "gap_too_long", "--html", "r.html"], "leave out --json and --html"),
    ):
        run = CliRunner().invoke(app, ["audit", "reps.csv", *args])
        assert run.exit_code == 2 and message in run.output, (args, run.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reps.csv"]  # no file named "-"


def test_the_reading_options_are_one_set_shared_by_both_commands() -> None:
    import typer

    from momentum.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]

    def reading(command: str) -> list[tuple[list[str], str | None]]:
        params = commands[command].params
        wanted = ("format", "mapping", "date_order", "timezone")
        return [(p.opts, getattr(p, "help", None)) for p in params if p.name in wanted]

    assert len(reading("import")) == 4
    assert reading("audit") == reading("import")


# -- 7. problems quote the file and speak its source's words -------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "meetings.csv",
            "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n"
            "501,2026-03-02 10:00,Maybe Later,9001\n",
            "meetings.csv:2:Meeting outcome: must be one of Scheduled, Completed, Rescheduled, "
            "No show or Canceled (HubSpot's outcomes), not 'Maybe Later'",
        ),
        (
            "deals.csv",
            "Deal - ID,Deal - Title,Deal - Status,Deal - Owner\n1,A,Pending,Ann\n",
            "deals.csv:2:Deal - Status: must be one of open, won, lost or deleted (Pipedrive's "
            "deal statuses), not 'Pending'",
        ),
        (
            "deals.csv",
            DEALS + "d1,Acme,r1,Won Big,2026-03-20\n",
            "deals.csv:2:outcome: must be one of open, won, lost, not 'Won Big'",
        ),
    ],
)
def test_a_value_outside_its_set_is_quoted_as_written_with_the_source_s_labels(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    write(tmp_path, name, text)
    run = momentum("import", name, cwd=tmp_path)
    refused(run, problem)


def test_a_mapped_value_outside_its_set_names_the_mapping_s_labels(tmp_path: Path) -> None:
    mapped_export(tmp_path)
    write(tmp_path, "pipeline.csv", "Id,Seller,Result,Closed\nd1,r1,Verloren,20/03/2026\n")
    run = momentum("import", "team.csv", "pipeline.csv", "--mapping", "map.toml", cwd=tmp_path)
    refused(
        run,
        "pipeline.csv:2:Result: must be one of Gewonnen, Offen (as [deals.values.outcome] maps "
        "them) or open, won, lost, not 'Verloren'",
    )


def test_times_a_preset_converted_are_quoted_as_the_file_writes_them(tmp_path: Path) -> None:
    write(tmp_path, "deals.csv", "Record ID,Deal Name,Deal Stage,Deal owner\n9001,A,open,r1\n")
    write(
        tmp_path,
        "meetings.csv",
        "Record ID,Meeting start time,Meeting end time,Meeting outcome,Associated Deal IDs\n"
        "501,03/02/2026 10:00,03/02/2026 9:00,Completed,9001\n",
    )
    run = momentum("import", "deals.csv", "meetings.csv", cwd=tmp_path)
    refused(
        run,
        "meetings.csv:2:Meeting end time: '03/02/2026 9:00' is before the start '03/02/2026 10:00'",
    )
