"""Output files are written whole, together, and never through a link planted in the target
folder; a target that cannot be written is refused in one line (exit 73) before any work,
and leaves nothing behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentum.cli import app
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import OutputError
from momentum.export.files import OutputFiles
from momentum.export.service import export_store
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from tests.cli_process import momentum, shared_folder

OUTPUT = 73
DEALS = "deal_id,owner_id,outcome,closed_at\nd1,ann,open,\nd2,ann,won,2026-03-05\n"
MEETINGS = "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,held\n"
NAMES = ("reps.csv", "deals.csv", "meetings.csv", "deal_stages.csv")


def _listing(folder: Path) -> dict[str, str]:
    """Every entry of ``folder`` with what it is (a link shows its target)."""
    shown = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            shown[path.name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            shown[path.name] = "folder"
        else:
            shown[path.name] = path.read_text()
    return shown


@pytest.fixture
def loaded(database: Database, write_files) -> Database:  # type: ignore[no-untyped-def]
    source = write_files({"deals.csv": DEALS, "meetings.csv": MEETINGS})
    import_files(
        database,
        [source],
        format=None,
        options=ReadOptions(),
        clock=FixedClock(datetime(2026, 3, 10, tzinfo=UTC)),
    )
    return database


def test_export_never_writes_through_planted_links(loaded: Database, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    # the temporary name an earlier version used, and a target that is itself a link
    (out / ".reps.csv.partial").symlink_to(victim)
    (out / ".deals.csv.partial").symlink_to(victim)
    (out / "meetings.csv").symlink_to(victim)
    summary = export_store(loaded, out)
    assert summary.rows == {
        "reps.csv": 1,
        "deals.csv": 2,
        "meetings.csv": 1,
        "deal_stages.csv": 0,
    }
    assert victim.read_text() == "precious"
    listing = _listing(out)
    assert listing[".reps.csv.partial"] == f"-> {victim}"
    assert not (out / "meetings.csv").is_symlink()  # the link was replaced, not followed
    assert listing["meetings.csv"].startswith("meeting_id,deal_id,start,end")
    assert sorted(listing) == [".deals.csv.partial", ".reps.csv.partial", *sorted(NAMES)]


def test_export_replaces_existing_files_together(loaded: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in NAMES:
        (out / name).write_text("old")
    (out / "notes.txt").write_text("mine")
    export_store(loaded, out)
    listing = _listing(out)
    assert listing["notes.txt"] == "mine"
    assert all(listing[name].count("\n") >= 2 for name in ("deals.csv", "reps.csv"))
    assert sorted(listing) == sorted([*NAMES, "notes.txt"])


def test_a_folder_named_deals_csv_is_refused_before_anything_is_written(
    loaded: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "deals.csv").mkdir(parents=True)
    (out / "reps.csv").write_text("old reps")
    with pytest.raises(OutputError) as refused:
        export_store(loaded, out)
    assert refused.value.message == f"cannot write {out / 'deals.csv'}: it is a folder"
    assert _listing(out) == {"deals.csv": "folder", "reps.csv": "old reps"}


def test_a_failure_halfway_leaves_every_target_as_it_was(
    loaded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The meetings fail to read after reps.csv and deals.csv are written: no file is
    replaced and no temporary file is left."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "reps.csv").write_text("old reps")
    from momentum.export import service

    real = service.ExportRepository.rows

    def failing(self, columns, **kwargs):  # type: ignore[no-untyped-def]
        if columns is service.MEETING_COLUMNS:
            raise RuntimeError("the connection dropped")
        return real(self, columns, **kwargs)

    monkeypatch.setattr(service.ExportRepository, "rows", failing)
    with pytest.raises(RuntimeError):
        export_store(loaded, out)
    assert _listing(out) == {"reps.csv": "old reps"}


@pytest.fixture
def cli_folder() -> Iterator[Path]:
    with shared_folder() as folder:
        (folder / "in").mkdir()
        (folder / "in" / "deals.csv").write_text(DEALS)
        (folder / "in" / "meetings.csv").write_text(MEETINGS)
        yield folder


def test_export_into_a_read_only_folder_is_one_line_and_73(cli_folder: Path) -> None:
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{cli_folder / 'momentum.db'}"}
    assert momentum("import", "in", cwd=cli_folder, env=env).code == 0
    (cli_folder / "momentum.db").chmod(0o666)
    locked = cli_folder / "locked"
    locked.mkdir()
    (locked / "deals.csv").write_text("old")
    locked.chmod(0o555)
    run = momentum("export", "locked", cwd=cli_folder, env=env, unprivileged=True)
    if run.code == 0:
        pytest.skip("this user can write into a folder with mode 555")
    assert run.code == OUTPUT, run.stderr
    assert run.error_lines == [
        "error: cannot write locked/reps.csv: Permission denied (in folder locked)"
    ]
    assert run.stdout == ""
    assert _listing(locked) == {"deals.csv": "old"}


def test_export_cli_refuses_a_folder_in_place_of_a_file(cli_folder: Path) -> None:
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{cli_folder / 'momentum.db'}"}
    assert momentum("import", "in", cwd=cli_folder, env=env).code == 0
    (cli_folder / "out" / "deals.csv").mkdir(parents=True)
    run = momentum("export", "out", cwd=cli_folder, env=env)
    assert run.code == OUTPUT, run.stderr
    assert run.error_lines == ["error: cannot write out/deals.csv: it is a folder"]
    assert _listing(cli_folder / "out") == {"deals.csv": "folder"}


def test_reading_a_store_that_is_not_there_makes_none(cli_folder: Path) -> None:
    """A mistyped store path gave an empty report, exit 0, and left an empty store (and its
    folder) behind; a refused import left a new empty store."""
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{cli_folder / 'typo' / 'momentum.db'}"}
    for command in (("audit",), ("export", "out")):
        run = momentum(*command, cwd=cli_folder, env=env)
        assert run.code == 69, run.stderr
        assert "there is no store at" in run.stderr and "momentum import" in run.stderr
    (cli_folder / "in" / "meetings.csv").write_text(
        "meeting_id,deal_id,start,status\nm1,d9,x,held\n"
    )
    assert momentum("import", "in", cwd=cli_folder, env=env).code == 65
    assert sorted(p.name for p in cli_folder.iterdir()) == ["in"]  # nor the folder made for it


def _audit(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    source = tmp_path / "in"
    source.mkdir(exist_ok=True)
    (source / "deals.csv").write_text(DEALS)
    (source / "meetings.csv").write_text(MEETINGS)
    return CliRunner().invoke(app, ["audit", str(source), *args], catch_exceptions=False)


def test_audit_html_in_a_missing_folder_is_refused_before_the_audit_runs(
    tmp_path: Path,
) -> None:
    target = tmp_path / "missing" / "report.html"
    json_out = tmp_path / "figures.json"
    result = _audit(tmp_path, "--json", str(json_out), "--html", str(target))
    assert result.exit_code == OUTPUT, result.output
    assert result.output == (
        f"error: cannot write {target}: folder {target.parent} does not exist\n"
    )
    assert not json_out.exists()  # no partial output: the JSON is not written either
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


def test_audit_html_onto_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    result = _audit(tmp_path, "--html", str(tmp_path / "report.html"))
    assert result.exit_code == OUTPUT
    assert result.output == f"error: cannot write {tmp_path / 'report.html'}: it is a folder\n"


def test_audit_html_and_json_replace_existing_files_and_not_link_targets(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "report.html").symlink_to(victim)
    (tmp_path / "figures.json").write_text("old")
    result = _audit(
        tmp_path, "--html", str(tmp_path / "report.html"), "--json", str(tmp_path / "figures.json")
    )
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not (tmp_path / "report.html").is_symlink()
    assert (tmp_path / "report.html").read_text().lower().startswith("<!doctype html>")
    assert (tmp_path / "figures.json").read_text().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "figures.json",
        "in",
        "report.html",
        "victim.txt",
    ]


def test_output_files_are_created_exclusively_with_the_usual_permissions(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a.txt"
    old = os.umask(0o022)
    try:
        with OutputFiles() as outputs:
            pending = outputs.reserve(target)
            assert pending.temporary.parent == tmp_path
            assert pending.temporary.name.startswith(".a.txt.")
            pending.write_text("hello")
            outputs.commit()
    finally:
        os.umask(old)
    assert target.read_text() == "hello"
    assert target.stat().st_mode & 0o777 == 0o644
    # leaving without commit removes the temporary file and keeps the target
    with OutputFiles() as outputs:
        outputs.reserve(target).write_text("never")
    assert target.read_text() == "hello"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_audit_json_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path: Path) -> None:
    """Renaming the report over a pipe or a device replaced it (``/dev/full``, as root)."""
    import stat
    import threading

    pipe = tmp_path / "figures.pipe"
    os.mkfifo(pipe)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_bytes()), daemon=True)
    reader.start()
    result = _audit(tmp_path, "--json", str(pipe))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert read and read[0].startswith(b"{") and read[0].rstrip().endswith(b"}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures.pipe", "in"]


def test_the_null_device_is_written_into_and_other_devices_are_refused() -> None:
    # Reserved and left without commit: nothing is written to the machine's devices here.
    with OutputFiles() as outputs:
        assert outputs.reserve(Path(os.devnull)).stream
        with pytest.raises(OutputError, match="it is a device or a socket, not a file"):
            outputs.reserve(Path("/dev/zero"))
