"""Benchmark: reminders due at once, sent by the dispatcher to a local SMTP server.

    .venv/bin/python -m bench.bench_dispatch [--reminders 10000] [--database sqlite|postgresql|both]
                                              [--sqlite-workers 1] [--postgres-workers 2]

Builds a fresh store with ``--reminders`` reminders due now (a value reminder and a
confirmation for each of ``--reminders / 2`` booked meetings, set-based inserts, not timed),
starts an SMTP server on loopback in its own process, then starts the workers (each its own
process, as ``momentum worker`` would be), lets them all begin at the same moment and times
until every one has drained the outbox. Every message goes through the real path: claim with a
lease, the send-time check under the meeting's lock, rendering, SMTP, the mark.

Reports messages per second, and checks that every message arrived exactly once (exit 1 if
not); prints a summary and one JSON line per database.
Target (issue 5): at least 200 messages/s on SQLite (one worker) and on PostgreSQL (two).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._engine_data import ALWAYS_OPEN, DEFAULT_POSTGRES, insert_due_reminders, scratch_database
from bench._serve import free_port

TARGET_PER_SECOND = 200.0
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def _sink(port: int, log: str, ready: Any, stop: Any) -> None:
    """An SMTP server that writes each message's Message-ID to ``log``."""
    from aiosmtpd.controller import Controller

    handle = open(log, "ab", buffering=0)  # noqa: SIM115 (lives as long as the process)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            found = _MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
            handle.write((found.group(1) if found else b"-") + b"\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    handle.close()


def _worker(
    url: str, rules: str, port: int, worker_id: str, ready: Any, go: Any, results: Any
) -> None:
    from momentum.config import Settings
    from momentum.runtime import Engine

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        rules_file=Path(rules),
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="Momentum <momentum@bench.test>",
        worker_batch_size=100,
    )
    engine = Engine(settings)
    dispatcher = engine.dispatcher(worker_id=worker_id)
    ready.release()
    go.wait()
    report = dispatcher.drain()
    results.put((worker_id, time.monotonic(), report.sent, report.claimed, report.failed))
    engine.close()


def run(kind: str, reminders: int, workers: int, postgres_url: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with scratch_database(kind, postgres_url) as database, tempfile.TemporaryDirectory() as folder:
        queued = insert_due_reminders(database, reminders=reminders, now=datetime.now(UTC))
        rules = Path(folder) / "rules.toml"
        rules.write_text(ALWAYS_OPEN)
        log = Path(folder) / "received.log"
        log.touch()
        port = free_port()
        sink_ready, sink_stop = context.Event(), context.Event()
        sink = context.Process(target=_sink, args=(port, str(log), sink_ready, sink_stop))
        sink.start()
        sink_ready.wait(30)
        ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
        processes = [
            context.Process(
                target=_worker,
                args=(database.url, str(rules), port, f"bench{i}", ready, go, results),
            )
            for i in range(workers)
        ]
        for process in processes:
            process.start()
        for _ in processes:
            ready.acquire(timeout=120)
        started = time.monotonic()
        go.set()
        finished = [results.get(timeout=600) for _ in processes]
        for process in processes:
            process.join(30)
        seconds = max(end for _, end, *_ in finished) - started
        time.sleep(0.2)  # the last message's log line
        sink_stop.set()
        sink.join(30)
        received = Counter(log.read_bytes().split())
    sent = sum(count for _, _, count, *_ in finished)
    return {
        "database": kind,
        "workers": workers,
        "queued": queued,
        "sent": sent,
        "received": sum(received.values()),
        "distinct_message_ids": len(received),
        "sent_twice": sum(1 for n in received.values() if n > 1),
        "per_worker": {worker_id: count for worker_id, _, count, *_ in finished},
        "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds, 1) if seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_dispatch", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--reminders", type=int, default=10_000, help="reminders due at once (default 10000)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--postgres-workers", type=int, default=2)
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL; a scratch database is made"
    )
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    failed = False
    for kind in kinds:
        workers = args.sqlite_workers if kind == "sqlite" else args.postgres_workers
        result = run(kind, args.reminders, workers, args.postgres_url)
        complete = result["distinct_message_ids"] == result["queued"] == result["received"]
        failed = failed or not complete
        rate = result["messages_per_second"] or 0.0
        verdict = "ok" if rate >= TARGET_PER_SECOND else "SLOWER THAN TARGET"
        print(
            f"dispatch on {kind}, {workers} worker{'s' if workers > 1 else ''}: "
            f"{result['sent']:,} of {result['queued']:,} reminders sent in {result['seconds']:.2f} s "
            f"= {rate:,.0f} messages/s (target {TARGET_PER_SECOND:.0f}: {verdict})"
        )
        print(
            f"  received {result['received']:,}, distinct Message-IDs {result['distinct_message_ids']:,}, "
            f"sent twice {result['sent_twice']}; per worker {result['per_worker']}"
        )
        print(json.dumps(result), flush=True)  # one line per database, for bench/__main__.py
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
