"""Refunds racing across two servers on one database, at length (issue 11): a check, not a timing.

``python -m bench.race [--trials 200] [--database-url postgresql+psycopg://USER@HOST:PORT/DB]``

Starts two ``gateway serve`` processes on one database (SQLite in a temporary folder, or a new
database on the PostgreSQL server named by ``--database-url``, dropped afterwards), then runs the
trials of ``tests/support/race.py``: each makes a capture and sends 16 concurrent Refund requests
of 1.00 on it through the official SDK, spread over both servers. Every answer must be what the
rules allow (exactly 10 accepted on a 100.00 capture, exactly 5 on a 5.00 one, the rest refused
with the limit's error): a 500, or any other answer, is counted and fails the run. The stored
counters of every capture are checked against its refund rows and its limits afterwards.

Prints the answers by code, the failures, and how long the trials took; exits 1 on a failure.
The suite runs a few of these trials on each backend (``tests/core/test_race.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.support.databases import Databases
from tests.support.race import REFUNDS, RefundRace, Stored, stored
from tests.support.servers import GatewayServer


def run(trials: int, server_url: str | None, folder: Path) -> int:
    (folder / "template").mkdir()
    databases = Databases(folder / "template", server_url)
    servers: list[GatewayServer] = []
    try:
        first_dir = folder / "server-1"
        url = databases.empty(first_dir)
        servers.append(GatewayServer(first_dir, database_url=url, workers=None).start())
        servers.append(GatewayServer(folder / "server-2", database_url=url, workers=None).start())
        rig = RefundRace(servers)
        started = time.monotonic()
        captures = rig.captures(trials)
        prepared = time.monotonic()
        results = [rig.trial(capture_id, limit) for capture_id, limit in captures]
        raced = time.monotonic()
        held = stored(url, [t.capture_id for t in results])
    finally:
        for server in servers:
            server.stop()
        databases.close()

    answers: Counter[str] = sum((t.answers for t in results), Counter())
    wrong = [t for t in results if t.answers != t.expected]
    exceeded = [
        t.capture_id
        for t in results
        if held[t.capture_id]
        != Stored(
            100 * t.limit.accepted, t.limit.accepted, t.limit.accepted, 100 * t.limit.accepted
        )
    ]
    backend = "PostgreSQL" if server_url else "SQLite"
    print(f"{backend}: {trials} trials of {REFUNDS} concurrent refunds through two servers")
    print(f"  answers: {dict(sorted(answers.items()))}")
    print(f"  500s (InternalServerError): {answers['InternalServerError']}")
    print(f"  trials with an answer the rules do not give: {len(wrong)}")
    print(f"  captures whose stored counters differ from their limits and rows: {len(exceeded)}")
    print(
        f"  captures made in {prepared - started:.1f} s, "
        f"trials raced in {raced - prepared:.1f} s ({(raced - prepared) / trials * 1000:.0f} ms each)"
    )
    for trial in wrong[:5]:
        print(f"  {trial.capture_id}: {dict(trial.answers)}, expected {dict(trial.expected)}")
    return 1 if wrong or exceeded else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to make the shared database on (default: SQLite)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gateway-race-") as folder:
        sys.exit(run(args.trials, args.database_url, Path(folder)))


if __name__ == "__main__":
    main()
