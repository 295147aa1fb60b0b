"""``gateway serve`` on an existing data dir prepares the database beside gunicorn
(``gateway.server.Preparation``) instead of before it: one web worker imports the application
meanwhile and answers once the preparation is over; the other workers and ``gateway worker``
follow. The time to the first answer is measured in bench/ (``python -m bench.startup``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import REPO, GatewayServer, child_pids, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def existing_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data dir that a first ``gateway serve`` made (SQLite in it, seeded), stopped again."""
    data_dir = tmp_path / "data"
    first = GatewayServer(data_dir, seeded=True, log_path=tmp_path / "first.log")
    try:
        first.start()
    finally:
        first.stop()
    yield data_dir


def _web_workers(server: GatewayServer) -> list[int]:
    found = []
    for pid in child_pids(server.pid):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"worker" not in argv:
            found.append(pid)
    return found


def test_an_existing_data_dir_answers_and_then_runs_every_process(
    existing_data_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "second.log"
    server = GatewayServer(existing_data_dir, scheduler=True, workers=2, log_path=log)
    try:
        server.start()
        merchant = server.new_merchant(store_name="again")  # the database is usable
        assert merchant["seller_id"]
        server.scheduler_pid()  # started once the preparation was over
        deadline = time.monotonic() + 60
        while len(_web_workers(server)) < 2:  # the second web worker follows the first
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.05)  # bounded by the deadline
        assert server.log().count("Amazon Pay simulator") == 1  # the banner, once
        assert "merchant A2SANDBOXSELLER" in server.log()
    finally:
        server.kill()


def test_a_preparation_that_fails_stops_the_server_with_its_error(
    existing_data_dir: Path,
) -> None:
    (existing_data_dir / "gateway.sqlite3").write_bytes(b"not a database" * 512)
    (existing_data_dir / "gateway.sqlite3-wal").unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--data-dir", str(existing_data_dir),
         "--port", str(free_port()), "--no-scheduler"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "file is not a database" in done.stderr
