"""What a test suite pays to use the simulator, beside peers measured in the same run.

``python -m bench.startup [--quick]`` measures, in interleaved rounds:

1. The ``amazon_pay_sandbox`` fixture's cost per test (a fresh merchant, its IPN receiver and an
   official ``amazon_pay`` client pointed at it; the session's simulator is started once), beside
   moto's ``mock_aws`` per test (a fresh mocked AWS account, a boto3 SQS client in it and one
   call, CreateQueue) and an empty test (pytest's own cost per test).
2. A whole flow through the fixture and the official SDK, in process: order reference, Authorize,
   Capture, Refund, settled by a clock advance, its IPN received and verified.
3. ``gateway serve`` started on an existing data dir, to its first answer, beside localstripe's
   and moto_server's start to their first answer.

The per-test figures come from pytest itself: each kind of test file runs in a pytest process of
its own (the fixture loaded by its entry point, as in a user's project) and pytest's JUnit XML
gives each test's time (setup, call and teardown); the first test of a file, which also starts
the session's simulator, is left out. Every figure is the median over the rounds (min-max
beside it), and ratios are taken within each round, so that the machine's other load moves a
figure and its peer together. Writes ``startup.json`` and ``startup.md`` to ``bench/results/``
(``--quick``: to the git-ignored ``bench/results/tmp/``). Every server started is stopped by its
own process group; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from tests.support.servers import REPO, ServerProcess, free_port

RESULTS = Path(__file__).resolve().parent / "results"
#: Seconds between two polls of a starting server (the figures' resolution).
POLL_SECONDS = 0.005
#: The most a server may take to answer, or a pytest run to finish.
DEADLINE_SECONDS = 600.0

TARGETS = {
    "fixture_ms": 20.0,
    "flow_ms": 100.0,
    "serve_s": 0.5,
}

# --- the test files, as a user would write them ------------------------------------------------

EMPTY = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_empty(n):
    pass
"""

FIXTURE = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_merchant(amazon_pay_sandbox, n):
    assert amazon_pay_sandbox.sdk.merchant_id == amazon_pay_sandbox.seller_id
"""

MOTO = """
import boto3
import pytest
from moto import mock_aws


@pytest.mark.parametrize("n", range({tests}))
def test_account(n):
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        url = client.create_queue(QueueName="bench")["QueueUrl"]
        assert url.endswith("/bench")
"""

FLOW = """
import pytest

from clients import RefundDetails


def result(answer, operation):
    assert answer.success, answer.to_xml()
    return answer.to_dict()[f"{{operation}}Response"][f"{{operation}}Result"]


@pytest.mark.parametrize("n", range({tests}))
def test_flow(amazon_pay_sandbox, n):
    sandbox = amazon_pay_sandbox
    sdk = sandbox.sdk
    oro = sandbox.new_order()
    assert sdk.set_order_reference_details(amazon_order_reference_id=oro,
                                           order_total="100.00").success
    assert sdk.confirm_order_reference(amazon_order_reference_id=oro).success
    auth = result(sdk.authorize(amazon_order_reference_id=oro, authorization_reference_id="a",
                                authorization_amount="100.00", transaction_timeout=0), "Authorize")
    cap = result(sdk.capture(amazon_authorization_id=auth["AuthorizationDetails"][
        "AmazonAuthorizationId"], capture_reference_id="c", capture_amount="100.00"), "Capture")
    refund = result(sdk.refund(amazon_capture_id=cap["CaptureDetails"]["AmazonCaptureId"],
                               refund_reference_id="r", refund_amount="10.00"), "Refund")
    refund_id = refund["RefundDetails"]["AmazonRefundId"]
    sandbox.advance_clock(60)
    [note] = sandbox.wait(1, predicate=lambda n: isinstance(n.details, RefundDetails))
    assert note.details.amazon_refund_id == refund_id
    assert note.details.status.state == "Completed"
"""

PYTEST_FILES = {"empty": EMPTY, "fixture": FIXTURE, "moto": MOTO, "flow": FLOW}

#: A plugin for the measured runs: each test's wall and CPU time (every thread of the process:
#: the simulator's delivery pool works for the test too), setup to teardown, as JSON lines.
TIMING_PLUGIN = """
import json
import os
import time

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with open(os.environ["BENCH_TIMES"], "a", encoding="utf-8") as out:
        out.write(json.dumps([wall, cpu]) + "\\n")
"""


def per_test_seconds(folder: Path, kind: str, tests: int) -> tuple[list[float], list[float]]:
    """Each test's wall and CPU seconds (setup, call and teardown) in a fresh pytest run of
    ``kind``'s file; the first test, which also paid for the session's start, left out."""
    test_file = folder / f"test_{kind}.py"
    test_file.write_text(PYTEST_FILES[kind].format(tests=tests), encoding="utf-8")
    (folder / "bench_timing.py").write_text(TIMING_PLUGIN, encoding="utf-8")
    times = folder / f"{kind}.jsonl"
    times.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PYTEST_"))}
    env.update(BENCH_TIMES=str(times), PYTHONPATH=str(folder))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-p", "bench_timing", str(test_file)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=DEADLINE_SECONDS,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pytest {kind} failed:\n{done.stdout}\n{done.stderr}")
    rows = [json.loads(line) for line in times.read_text(encoding="utf-8").splitlines()]
    if len(rows) != tests:
        raise RuntimeError(f"pytest {kind}: {len(rows)} of {tests} tests timed")
    return [wall for wall, _ in rows[1:]], [cpu for _, cpu in rows[1:]]


# --- servers, to their first answer ------------------------------------------------------------


def _gateway(data_dir: Path, port: int, log: Path) -> ServerProcess:
    # The HTTPS listener on a free port too: the default 8443 may be another server's.
    argv = [sys.executable, "-m", "gateway", "serve", "--data-dir", str(data_dir),
            "--port", str(port), "--https-port", str(free_port()), "--no-access-log"]  # fmt: skip
    return ServerProcess("gateway serve", argv, log, port=port)


def _localstripe(_data_dir: Path, port: int, log: Path) -> ServerProcess:
    argv = [sys.executable, "-m", "bench.peer", "--port", str(port)]
    return ServerProcess("localstripe", argv, log, port=port)


def _floor(data_dir: Path, port: int, log: Path) -> ServerProcess:
    database = data_dir.parent / "floor.sqlite3"
    argv = [sys.executable, "-m", "bench.floor", "--port", str(port), "--database", str(database)]
    return ServerProcess("floor", argv, log, port=port)


def _moto_server(_data_dir: Path, port: int, log: Path) -> ServerProcess:
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return ServerProcess("moto_server", argv, log, port=port)


#: Each server, and the path its first answer is asked of (any HTTP status is an answer; the
#: gateway's is its health check, which reads the database).
SERVERS: dict[str, tuple[Callable[[Path, int, Path], ServerProcess], str]] = {
    "gateway": (_gateway, "/sandbox/api/v1/health"),
    "floor": (_floor, "/health"),
    "localstripe": (_localstripe, "/"),
    "moto_server": (_moto_server, "/moto-api/"),
}


def first_answer_seconds(name: str, data_dir: Path, logs: Path) -> float:
    """Seconds from starting ``name`` to its first HTTP answer (then it is stopped)."""
    make, path = SERVERS[name]
    port = free_port()
    server = make(data_dir, port, logs / f"{name}.log")
    url = f"http://127.0.0.1:{port}{path}"
    logs.mkdir(parents=True, exist_ok=True)
    with server.log_path.open("ab") as log:
        started = time.perf_counter()
        server.process = subprocess.Popen(
            server.argv, cwd=REPO, env=server.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = started + DEADLINE_SECONDS
        while True:
            try:
                requests.get(url, timeout=DEADLINE_SECONDS)
                return time.perf_counter() - started
            except requests.ConnectionError:
                pass  # not listening yet
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {server.process.returncode}: {server.log()}"
                )
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{name} did not answer within {DEADLINE_SECONDS}s")
            time.sleep(POLL_SECONDS)  # start-up poll, bounded by the deadline
    finally:
        server.stop()


# --- the run -----------------------------------------------------------------------------------


def _median(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run(rounds: int, tests: int, folder: Path) -> dict[str, Any]:
    data_dir = folder / "gateway-data"
    # Byte-compiled first, as pip does for a regular install (an editable one leaves it to the
    # first import, and PYTHONDONTWRITEBYTECODE, set on some machines, to every import): the
    # peers, installed from wheels, are measured byte-compiled too.
    compileall.compile_dir(REPO / "gateway", quiet=1)
    compileall.compile_dir(REPO / "clients", quiet=1)
    compileall.compile_dir(REPO / "bench", quiet=1)
    first_answer_seconds("gateway", data_dir, folder / "logs")  # makes the data dir, untimed
    per_round: list[dict[str, float]] = []
    for number in range(1, rounds + 1):
        figures: dict[str, float] = {}
        for kind in PYTEST_FILES:
            walls, cpus = per_test_seconds(folder, kind, tests)
            figures[f"{kind}_ms"] = statistics.median(walls) * 1000
            figures[f"{kind}_cpu_ms"] = statistics.median(cpus) * 1000
        for name in SERVERS:
            figures[f"{name}_s"] = first_answer_seconds(name, data_dir, folder / "logs")
        figures["load_average"] = os.getloadavg()[0]
        figures["fixture_per_moto"] = figures["fixture_ms"] / figures["moto_ms"]
        figures["flow_per_moto"] = figures["flow_ms"] / figures["moto_ms"]
        figures["gateway_per_floor"] = figures["gateway_s"] / figures["floor_s"]
        figures["gateway_per_localstripe"] = figures["gateway_s"] / figures["localstripe_s"]
        figures["gateway_per_moto_server"] = figures["gateway_s"] / figures["moto_server_s"]
        per_round.append(figures)
        print(f"round {number}: " + ", ".join(f"{k} {v:.3g}" for k, v in figures.items()))
    keys = per_round[0].keys()
    return {
        "rounds": per_round,
        "summary": {k: _median([r[k] for r in per_round]) for k in keys},
        "tests_per_file": tests,
    }


def _row(summary: dict[str, dict[str, float]], key: str, scale: float = 1.0) -> str:
    s = summary[key]
    return f"{s['median'] * scale:.3g} ({s['min'] * scale:.3g}–{s['max'] * scale:.3g})"


def render(result: dict[str, Any]) -> str:
    s = result["summary"]
    met = {
        "fixture_ms": s["fixture_ms"]["median"] <= TARGETS["fixture_ms"],
        "flow_ms": s["flow_ms"]["median"] <= TARGETS["flow_ms"],
        "serve_s": s["gateway_s"]["median"] <= TARGETS["serve_s"],
    }

    def ok(key: str) -> str:
        return "met" if met[key] else "**missed**"

    lines = [
        f"### Start-up and per-test costs ({result['mode']} run, {result['started']})",
        "",
        f"Machine: {result['machine']}. Median of {len(result['rounds'])} interleaved rounds "
        "(min–max in brackets); ratios are taken within each round. Load average (1 min) at "
        f"the end of each round: {_row(s, 'load_average')}.",
        "",
        "| Measure | wall (median) | CPU (median) | ratio to its peer (wall) |",
        "|---|---|---|---|",
        f"| `amazon_pay_sandbox` per test (fresh merchant, receiver, official SDK client), ms "
        f"| {_row(s, 'fixture_ms')} | {_row(s, 'fixture_cpu_ms')} "
        f"| {_row(s, 'fixture_per_moto')} × moto `mock_aws` |",
        f"| moto `mock_aws` per test (fresh account, boto3 SQS client, one CreateQueue), ms "
        f"| {_row(s, 'moto_ms')} "
        f"| {_row(s, 'moto_cpu_ms')} | |",
        f"| empty test (pytest's own cost), ms | {_row(s, 'empty_ms')} "
        f"| {_row(s, 'empty_cpu_ms')} | |",
        f"| whole flow through the official SDK in process (order, Authorize, Capture, Refund, "
        f"clock advance, IPN verified), ms | {_row(s, 'flow_ms')} | {_row(s, 'flow_cpu_ms')} | "
        f"{_row(s, 'flow_per_moto')} × moto `mock_aws` |",
        f"| `gateway serve` on an existing data dir to its first answer, s | {_row(s, 'gateway_s')} "
        f"| | {_row(s, 'gateway_per_floor')} × the floor, "
        f"{_row(s, 'gateway_per_localstripe')} × localstripe, "
        f"{_row(s, 'gateway_per_moto_server')} × moto_server |",
        f"| the floor: a one-model Flask and SQLAlchemy app under gunicorn (`bench.floor`) to "
        f"its first answer, s | {_row(s, 'floor_s')} | | |",
        f"| localstripe start to first answer, s | {_row(s, 'localstripe_s')} | | |",
        f"| moto_server start to first answer, s | {_row(s, 'moto_server_s')} | | |",
        "",
        "| Target | Measured (median) | |",
        "|---|---|---|",
        f"| fixture ≤ 20 ms per test | {s['fixture_ms']['median']:.3g} ms | {ok('fixture_ms')} |",
        f"| whole flow < 100 ms | {s['flow_ms']['median']:.3g} ms | {ok('flow_ms')} |",
        f"| `gateway serve` first answer ≤ 0.5 s | {s['gateway_s']['median']:.3g} s "
        f"| {ok('serve_s')} |",
        "",
    ]
    return "\n".join(lines)


def _machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 20 tests, to tmp/")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; quick 3)")
    parser.add_argument("--tests", type=int, help="tests per pytest file (default 60; quick 20)")
    parser.add_argument("--out", type=Path, help="folder for startup.{json,md}")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    rounds = args.rounds or (3 if args.quick else 5)
    tests = args.tests or (20 if args.quick else 60)
    out = args.out or (RESULTS / "tmp" if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    machine = _machine()
    # Outside the repository: its pytest settings (warnings as errors) are not a user's.
    folder = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        result = run(rounds, tests, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.update(mode=mode, started=started, machine=machine)
    (out / "startup.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "startup.md").write_text(render(result), encoding="utf-8")
    print(render(result))


if __name__ == "__main__":
    main()
