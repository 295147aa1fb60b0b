"""The long fuzzing run (issue 11): the suite's fuzzing (``tests/fuzz``) for as long as you like,
against real servers on SQLite and PostgreSQL.

    python -m bench.fuzz --minutes 10
    python -m bench.fuzz --minutes 10 --backend sqlite
    python -m bench.fuzz --minutes 4 --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test

For each backend in turn (the time is shared between them), a ``gateway serve`` on 127.0.0.1
(2 workers, no scheduler) on a new database: SQLite in ``bench/results/tmp/``, or a database of
its own on the PostgreSQL server, dropped afterwards. Calls to both emulated APIs and the control
API are drawn by hypothesis in rounds of ``--round`` calls, each round with its own seed (``--seed``
is the first), until the time is up. Every answer is judged as in the suite (``tests.fuzz.oracle``)
and the server's log is read for tracebacks. Prints the figures per API and backend and every
distinct failure with its shortest reproduction, writes them to ``bench/results/tmp/fuzz.json``
(and each server's log beside it), and exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from gateway.app import create_app
from tests.fuzz.explore import Fuzzer
from tests.fuzz.strategies import control_routes, every_api
from tests.fuzz.tally import Tally, failures_text, table
from tests.fuzz.world import FuzzWorld
from tests.support.databases import POSTGRES_URL_ENV, Databases
from tests.support.servers import GatewayServer

RESULTS = Path(__file__).resolve().parent / "results" / "tmp"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _routes() -> Any:
    """The control API's routes, from an app that is never served (its data dir is thrown away)."""
    with tempfile.TemporaryDirectory() as folder:
        return control_routes(
            create_app({"data_dir": folder, "scheduler": False}, initialize=False)
        )


def run_backend(
    backend: str, server_url: str | None, seconds: float, first_seed: int, per_round: int
) -> Tally:
    """Fuzz one server on ``backend`` for ``seconds``: rounds of ``per_round`` calls."""
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{backend}-", dir=RESULTS))
    # PostgreSQL: a database of this run's own (dropped by ``close``); SQLite: the data dir's.
    databases = Databases(folder, server_url) if server_url else None
    url = databases.empty(folder / "data") if databases else None
    server = GatewayServer(folder / "data", database_url=url, workers=None)
    tally = Tally(backend, "server")
    try:
        server.start()
        world = FuzzWorld.for_server(server.port or 0, server.log_path, backend)
        fuzzer = Fuzzer(world, tally, deadline=time.monotonic() + seconds)
        strategy = every_api(_routes())
        seed = first_seed
        while fuzzer.deadline is not None and time.monotonic() < fuzzer.deadline:
            fuzzer.explore(strategy, per_round, seed=seed)
            seed += 1
            print(
                f"  {backend}: {sum(r['sent'] for r in tally.figures.values())} calls", flush=True
            )
        fuzzer.sweep_log()
    finally:
        server.stop()
        if databases is not None:
            databases.close()
        shutil.copyfile(server.log_path, RESULTS / f"fuzz-{backend}-server.log")
        shutil.rmtree(folder, ignore_errors=True)
    return tally


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: the servers are stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="in all (default 10)")
    parser.add_argument(
        "--backend",
        action="append",
        choices=["sqlite", "postgresql"],
        help="repeat for both (default: both)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES,
        help=f"the PostgreSQL server (default ${POSTGRES_URL_ENV} or {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--seed", type=int, default=0, help="the first round's seed")
    parser.add_argument("--round", type=int, default=500, help="calls per round (default 500)")
    parser.add_argument("--out", type=Path, default=RESULTS / "fuzz.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    RESULTS.mkdir(parents=True, exist_ok=True)
    backends: list[str] = args.backend or ["sqlite", "postgresql"]
    seconds = args.minutes * 60 / len(backends)
    tallies = []
    for backend in backends:
        print(f"== {backend}: {seconds:.0f} s", flush=True)
        url = args.postgres_url if backend == "postgresql" else None
        tallies.append(run_backend(backend, url, seconds, args.seed, args.round))
    args.out.write_text(json.dumps([t.as_json() for t in tallies], indent=2) + "\n")
    print(f"\n{table(tallies)}\n")
    problems = sum(t.problems for t in tallies)
    for tally in tallies:
        if tally.failures:
            print(f"== failures on {tally.backend}\n\n{failures_text(tally)}\n")
    print(f"{problems} problem(s); figures in {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
