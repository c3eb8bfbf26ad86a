"""With no --format, the format is found from the files' headers, and the user is told."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentum.cli import app
from momentum.errors import InputError
from tests.importers.helpers import DEALS, REPS
from tests.importers.presets import problems_in, read_format

HUBSPOT_DEALS = "Record ID,Deal Name,Deal Stage,Deal owner\n1,Acme,Qualified,Ann\n"
PIPEDRIVE_DEALS = "Deal - ID,Deal - Title,Deal - Status,Deal - Owner\n1,Acme,Open,Ann\n"


def test_canonical_files_are_read_as_before(write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS})
    data = read_format(folder)
    assert data.deals.height == 2
    assert data.notes == ["detected format: momentum (deals.csv, reps.csv)"]
    # their times carry their owner's zone: a --timezone given is said not to be used
    zoned = read_format(folder, timezone="Europe/Berlin")
    assert zoned.notes[1].startswith("--timezone Europe/Berlin is not used")
    assert zoned.deals.equals(data.deals)


def test_a_file_given_twice_is_read_once(write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS})
    (folder / "linked.csv").symlink_to(folder / "deals.csv")
    data = read_format([folder, folder / "deals.csv", folder])
    assert data.deals.height == 2  # not a duplicate of every deal
    assert f"{folder / 'linked.csv'} is the same file as {folder / 'deals.csv'}: read once" in (
        data.notes
    )
    assert f"{folder / 'reps.csv'} is given twice: read once" in data.notes
    # a file named on the command line is named, even when its folder is given first
    (folder / "other.csv").write_text("colour,shape\nred,round\n", encoding="utf-8")
    assert read_format([folder]).deals.height == 2  # in the folder: passed over
    assert problems_in([folder, folder / "other.csv"])[0].startswith(
        "in/other.csv:1: the header matches none of the formats"
    )


def test_an_empty_file_in_a_folder_is_passed_over_but_one_named_is_refused(
    write_files,
) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "notes.csv": ""})
    data = read_format(folder)
    assert data.deals.height == 2
    assert f"skipped {folder / 'notes.csv'}: is empty; expected a header row" in data.notes
    assert problems_in([folder / "notes.csv"]) == ["notes.csv: is empty; expected a header row"]


def test_each_preset_is_told_by_its_header(write_files) -> None:
    folder = write_files({"hs.csv": HUBSPOT_DEALS, "pd.csv": PIPEDRIVE_DEALS}, folder="one")
    assert read_format([folder / "hs.csv"]).notes[0] == "detected format: hubspot (hs.csv)"
    assert read_format([folder / "pd.csv"]).notes[0] == "detected format: pipedrive (pd.csv)"


def test_files_of_two_formats_are_refused(write_files) -> None:
    folder = write_files({"hs.csv": HUBSPOT_DEALS, "pd.csv": PIPEDRIVE_DEALS})
    assert problems_in(folder) == [
        "hs.csv, pd.csv: mix formats (hubspot: hs.csv; pipedrive: pd.csv); import each format "
        "on its own"
    ]


def test_a_folder_with_nothing_readable(write_files) -> None:
    folder = write_files({"notes.csv": "a,b\n1,2\n"})
    assert problems_in(folder) == [
        f"{folder}: holds no file whose header matches a format (momentum, salesforce, hubspot, "
        "pipedrive); name the format with --format, or describe the columns in a --mapping file"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"format": "excel"},
            "unknown format 'excel'; expected one of momentum, salesforce, "
            "hubspot, pipedrive, ics, mapping",
        ),
        ({"format": "mapping"}, "format mapping needs a mapping file (--mapping FILE)"),
        ({"date_order": "ymd"}, "date order must be dmy or mdy, not 'ymd'"),
        (
            {"timezone": "Moon/Base"},
            "unknown time zone 'Moon/Base' (expected an IANA name such as Europe/Berlin)",
        ),
        (
            {"format": "hubspot", "mapping": Path("m.toml")},
            "--mapping describes the columns itself; it cannot be used with --format hubspot (leave --format out)",
        ),
    ],
)
def test_options_that_cannot_be_used(write_files, options: dict[str, object], message: str) -> None:
    folder = write_files({"hs.csv": HUBSPOT_DEALS})
    with pytest.raises(InputError) as failure:
        read_format(folder, **options)  # type: ignore[arg-type]
    assert failure.value.message == message


def test_the_command_says_what_it_detected(write_files, tmp_path: Path, monkeypatch) -> None:
    folder = write_files({"hs.csv": HUBSPOT_DEALS})
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    result = CliRunner().invoke(app, ["import", str(folder), "--timezone", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    assert "note: detected format: hubspot (hs.csv)" in result.output


def test_the_command_reports_each_problem_and_exits_65(
    write_files, tmp_path: Path, monkeypatch
) -> None:
    folder = write_files({"hs.csv": HUBSPOT_DEALS.replace("Qualified,Ann", "Qualified,")})
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    result = CliRunner().invoke(app, ["import", str(folder / "hs.csv"), "--format", "hubspot"])
    assert result.exit_code == 65
    assert f"{folder}/hs.csv:2:Deal owner: is required" in result.output
    assert (
        "error: 1 problem found in the input; nothing was imported; the store is unchanged"
        in result.output
    )
