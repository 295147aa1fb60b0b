"""The benchmark suite: ``python -m bench [--quick]`` (see bench/README.md).

Starts every server it measures on 127.0.0.1, drives each with wrk at 16 connections, stops what
it started, and writes ``<mode>.json`` and ``<mode>.md``: the full run to ``bench/results/``
(tracked: the figures the docs quote), a quick run to the git-ignored ``bench/results/tmp/``
(a check, not a record). Every figure
is the median of ``--rounds`` interleaved rounds (min and max beside it), and each round's figures
are divided by the ceiling measured in that same round under the same gunicorn configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests

from bench import fixtures, ipn, listing, load, procs, v2
from bench.ceiling import ACCESS_KEY as CEILING_KEY
from bench.ceiling import PATH as CEILING_PATH
from bench.ceiling import SECRET_KEY as CEILING_SECRET
from bench.report import render_markdown
from tests.support.servers import GatewayServer, ServerProcess, free_port

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Plan:
    mode: str
    rounds: int
    seconds: float
    stored_refunds: int
    settle_refunds: int
    ipn_notifications: int
    ipn_refunds: int
    max_rate: int
    listing_orders: int = 100_000
    listing_requests: int = 100
    workers: int | None = None
    threads: int | None = None

    @property
    def captures_per_round(self) -> int:
        return int(self.seconds * self.max_rate) + 200


QUICK = dict(
    rounds=3,
    seconds=2,
    stored_refunds=20_000,
    settle_refunds=5_000,
    ipn_notifications=150,
    ipn_refunds=50,
    max_rate=2_000,
)
FULL = dict(
    rounds=3,
    seconds=10,
    stored_refunds=1_000_000,
    settle_refunds=100_000,
    ipn_notifications=5_000,
    ipn_refunds=300,
    max_rate=2_000,
)


@dataclass
class Log:
    started: float = field(default_factory=time.monotonic)

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {message}", flush=True)


log = Log()


def summarize(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


# --- gateway load ---------------------------------------------------------------------------------


class GatewayTarget:
    """One gateway server on a prepared database, with its pool of fresh captures."""

    def __init__(
        self,
        name: str,
        data_dir: Path,
        merchant: fixtures.Merchant,
        port: int,
        plan: Plan,
        work: Path,
        stored_refunds: int,
    ) -> None:
        self.name, self.data_dir, self.merchant, self.port = name, data_dir, merchant, port
        self.plan, self.work, self.stored_refunds = plan, work, stored_refunds
        self.host = f"127.0.0.1:{port}"
        self.url = f"http://{self.host}{load.OFFAMAZON_PATH}"
        self.next_capture = 0
        self.server = GatewayServer(
            data_dir,
            port=port,
            log_path=work / f"{name}.log",
            workers=plan.workers,
            threads=plan.threads,
            # Figures comparable with the runs before the access log existed (a line a request).
            access_log=False,
        )

    def sign(self, params: dict[str, str]) -> str:
        return load.signed_body(
            params,
            access_key=self.merchant.access_key,
            secret=self.merchant.secret_key,
            host=self.host,
            path=load.OFFAMAZON_PATH,
        )

    def refund_run(self, tag: str) -> load.WrkResult:
        count = self.plan.captures_per_round
        captures = fixtures.fresh_capture_ids(count, self.next_capture)
        self.next_capture += count
        path = self.work / f"{self.name}-{tag}-refund.txt"
        load.write_lines(
            path,
            (
                self.sign(load.refund_params(self.merchant.seller_id, cap, f"bench-{tag}-{i}"))
                for i, cap in enumerate(captures)
            ),
        )
        return load.run_wrk(self.url, path, seconds=self.plan.seconds, server_pid=self.server.pid)

    def refund_ids(self, limit: int = 5_000) -> list[str]:
        """Refunds to read: stored ones (random sample) if any, else those the runs created."""
        if self.stored_refunds:
            rng = random.Random(7)
            ids = list(fixtures.stored_refund_ids(self.stored_refunds))
            return rng.sample(ids, min(limit, len(ids)))
        conn = sqlite3.connect(fixtures.database_path(self.data_dir))
        try:
            rows = conn.execute(
                "SELECT amazon_id FROM refunds ORDER BY random() LIMIT ?", (limit,)
            ).fetchall()
        finally:
            conn.close()
        return [r[0] for r in rows]

    def get_run(self, tag: str) -> load.WrkResult:
        path = self.work / f"{self.name}-{tag}-get.txt"
        ids = self.refund_ids()
        load.write_lines(
            path, (self.sign(load.get_refund_params(self.merchant.seller_id, rid)) for rid in ids)
        )
        return load.run_wrk(
            self.url, path, seconds=self.plan.seconds, mode="cycle", server_pid=self.server.pid
        )


def ceiling_bodies(path: Path, host: str, count: int = 5_000) -> None:
    load.write_lines(
        path,
        (
            load.signed_body(
                load.refund_params(
                    "ACEILINGSELLER", f"S01-0000000-{i:07d}-C000000", f"ceiling-{i}"
                ),
                access_key=CEILING_KEY,
                secret=CEILING_SECRET,
                host=host,
                path=CEILING_PATH,
            )
            for i in range(count)
        ),
    )


# --- localstripe ---------------------------------------------------------------------------------

STRIPE_KEY = "sk_test_bench"


def localstripe_round(port: int, work: Path, plan: Plan, tag: str) -> dict[str, Any]:
    """A fresh localstripe (persistence on): create charges, then time refund creation and reads."""
    server = procs.localstripe_server(port, work / "localstripe.log")
    server.start()
    try:
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {STRIPE_KEY}"}
        with requests.Session() as http:
            http.headers.update(auth)
            pm = http.post(
                f"{base}/v1/payment_methods",
                data={
                    "type": "card",
                    "card[number]": "4242424242424242",
                    "card[exp_month]": "12",
                    "card[exp_year]": "2030",
                    "card[cvc]": "123",
                },
                timeout=30,
            ).json()["id"]
            charges = [
                http.post(
                    f"{base}/v1/charges",
                    data={"amount": "1000000", "currency": "usd", "source": pm},
                    timeout=30,
                ).json()["id"]
                for _ in range(50)
            ]
            refunds = [
                http.post(
                    f"{base}/v1/refunds", data={"charge": ch, "amount": "1"}, timeout=30
                ).json()["id"]
                for ch in charges
            ]
        create_file = work / f"ls-{tag}-refund.txt"
        load.write_lines(create_file, (f"charge={ch}&amount=1" for ch in charges))
        create = load.run_wrk(
            f"{base}/v1/refunds",
            create_file,
            seconds=plan.seconds,
            mode="cycle",
            authorization=f"Bearer {STRIPE_KEY}",
            server_pid=server.pid,
        )
        read_file = work / f"ls-{tag}-get.txt"
        load.write_lines(read_file, (f"/v1/refunds/{r}" for r in refunds))
        read = load.run_wrk(
            f"{base}/v1/refunds",
            read_file,
            seconds=plan.seconds,
            mode="cycle",
            method="GET",
            authorization=f"Bearer {STRIPE_KEY}",
            server_pid=server.pid,
        )
        memory = procs.peak_memory_mib(server.pid)
    finally:
        server.stop()
    return {"refund": create.to_dict(), "get": read.to_dict(), "memory": memory}


# --- settlement and IPN --------------------------------------------------------------------------


def settlement(plan: Plan, work: Path) -> dict[str, Any]:
    template = work / "settle-template"
    merchant = fixtures.create_database(template)
    fixtures.load(template, merchant, due_refunds=plan.settle_refunds)
    runs = []
    for r in range(plan.rounds):
        data = work / f"settle-{r}"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(template, data)
        done = subprocess.run(
            [sys.executable, "-m", "bench.settle", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"settlement failed: {done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        conn = sqlite3.connect(fixtures.database_path(data))
        pending = conn.execute("SELECT count(*) FROM refunds WHERE state = 'Pending'").fetchone()[0]
        notes = conn.execute(
            "SELECT count(*) FROM notifications WHERE object_kind = 'Refund' AND state = 'Completed'"
        ).fetchone()[0]
        conn.close()
        result.update(pending_left=pending, notifications=notes)
        log(f"settlement round {r + 1}: {result}")
        if pending or notes != plan.settle_refunds:
            raise RuntimeError(f"settlement incomplete: {result}")
        runs.append(result)
        shutil.rmtree(data, ignore_errors=True)
    return {
        "refunds": plan.settle_refunds,
        "seconds": summarize([r["seconds"] for r in runs]),
        "per_second": summarize([plan.settle_refunds / r["seconds"] for r in runs]),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "runs": runs,
    }


def ipn_delivery(plan: Plan, work: Path) -> dict[str, Any]:
    if not ipn.delivery_available():
        return {
            "measured": False,
            "reason": "gateway.ipn.outbox is not on this branch (IPN delivery has not landed)",
        }
    runs: list[dict[str, Any]] = []
    for r in range(plan.rounds):
        with ipn.receiver() as receiver:
            data = work / f"ipn-{r}"
            shutil.rmtree(data, ignore_errors=True)
            merchant = fixtures.create_database(data, ipn_url=receiver.url)
            fixtures.load(
                data,
                merchant,
                stored_refunds=plan.ipn_notifications,
                due_notifications=plan.ipn_notifications,
            )
            worker = procs.ipn_worker(data, work / "ipn-worker.log").start()
            try:
                complete = receiver.wait_for(plan.ipn_notifications, timeout=120)
                memory = procs.peak_memory_mib(worker.pid)
            finally:
                worker.stop()
            times = sorted(r.at for r in receiver.received)
            count = min(len(times), plan.ipn_notifications)
            span = times[count - 1] - times[0] if count > 1 else 0.0
            runs.append(
                {
                    "delivered": count,
                    "complete": complete,
                    "seconds": span,
                    "per_second": count / span if span else 0.0,
                    "memory": memory,
                }
            )
            log(f"ipn round {r + 1}: {runs[-1]}")
    delay = ipn_delay(plan, work)
    return {
        "measured": True,
        "notifications": plan.ipn_notifications,
        "per_second": summarize([r["per_second"] for r in runs]),
        "runs": runs,
        "delay": delay,
    }


def ipn_delay(plan: Plan, work: Path) -> dict[str, Any]:
    """Real-time mode: refunds settle 1 s after they are made; due-to-acknowledged delays."""
    with ipn.receiver() as receiver:
        data = work / "ipn-delay"
        shutil.rmtree(data, ignore_errors=True)
        merchant = fixtures.create_database(data, settle_delay_seconds=1, ipn_url=receiver.url)
        fixtures.load(data, merchant, fresh_captures=plan.ipn_refunds)
        server = GatewayServer(
            data,
            log_path=work / "ipn-delay.log",
            workers=None,
            scheduler=True,
            sweep_interval=0.1,
            access_log=False,
        )
        server.start()
        target_host = f"127.0.0.1:{server.port}"
        try:
            made: list[tuple[str, float]] = []
            with requests.Session() as http:
                deadline = time.monotonic() + 120
                for i, cap in enumerate(fixtures.fresh_capture_ids(plan.ipn_refunds)):
                    if time.monotonic() > deadline:
                        break
                    body = load.signed_body(
                        load.refund_params(merchant.seller_id, cap, f"delay-{i}"),
                        access_key=merchant.access_key,
                        secret=merchant.secret_key,
                        host=target_host,
                        path=load.OFFAMAZON_PATH,
                    )
                    answer = http.post(
                        f"http://{target_host}{load.OFFAMAZON_PATH}",
                        data=body,
                        timeout=30,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    rid = answer.text.split("<AmazonRefundId>")[1].split("<")[0]
                    made.append((rid, time.time()))
                    time.sleep(0.02)
            ids = [rid for rid, _ in made]
            due = {
                rid: t + 1.0 for rid, t in ipn.due_times(fixtures.database_path(data), ids).items()
            }
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(ipn.completed_acks(receiver)) < len(ids):
                time.sleep(0.1)
            memory = procs.peak_memory_mib(server.pid)
        finally:
            server.stop()
        acks = ipn.completed_acks(receiver)
    delays = sorted(acks[rid] - due[rid] for rid in ids if rid in acks and rid in due)
    if not delays:
        return {"measured": False, "reason": "no Completed refund IPN arrived"}

    def pct(p: float) -> float:
        return delays[min(len(delays) - 1, int(p / 100 * len(delays)))]

    return {
        "measured": True,
        "refunds": len(ids),
        "acknowledged": len(delays),
        "p50_s": pct(50),
        "p99_s": pct(99),
        "memory": memory,
    }


# --- the run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    wrk_version = subprocess.run(
        [load.wrk_binary(), "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk_version or ["?"])[0],
    }


def run(plan: Plan, out: Path, only: set[str]) -> dict[str, Any]:
    load.wrk_binary()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = RESULTS / "tmp" / f"{plan.mode}-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "mode": plan.mode,
        "started": stamp,
        "plan": plan.__dict__,
        "machine": machine(),
        "connections": load.CONNECTIONS,
        "wrk_threads": load.THREADS,
    }
    servers: list[ServerProcess] = []
    try:
        if "api" in only:
            result.update(api_rounds(plan, work, servers))
        if "v2" in only:
            result["v2"] = v2_rounds(plan, work, servers)
        if "settle" in only:
            log(f"settlement: {plan.settle_refunds} due refunds, {plan.rounds} runs")
            result["settlement"] = settlement(plan, work)
        if "ipn" in only:
            log("IPN delivery")
            result["ipn"] = ipn_delivery(plan, work)
        if "listing" in only:
            log(f"sandbox API lists: {plan.listing_orders:,} orders")
            result["listing"] = listing.run(
                plan.rounds, plan.listing_orders, plan.listing_requests, work, log
            )
    finally:
        for server in servers:
            server.stop()
    result["finished"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{plan.mode}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{plan.mode}.md").write_text(render_markdown(result))
    shutil.rmtree(work, ignore_errors=True)
    return result


def api_rounds(plan: Plan, work: Path, servers: list[ServerProcess]) -> dict[str, Any]:
    captures = plan.captures_per_round * plan.rounds
    log(
        f"preparing databases: {captures} fresh captures each, {plan.stored_refunds} stored refunds"
    )
    empty_dir, stored_dir = work / "gw-empty", work / "gw-stored"
    m_empty = fixtures.create_database(empty_dir)
    fixtures.load(empty_dir, m_empty, fresh_captures=captures)
    m_stored = fixtures.create_database(stored_dir)
    started = time.monotonic()
    fixtures.load(stored_dir, m_stored, fresh_captures=captures, stored_refunds=plan.stored_refunds)
    log(f"stored database loaded in {time.monotonic() - started:.1f}s")

    ceiling_port = free_port()
    ceiling = procs.ceiling_server(
        work / "ceiling",
        ceiling_port,
        work / "ceiling.log",
        workers=plan.workers,
        threads=plan.threads,
    )
    empty = GatewayTarget("gw-empty", empty_dir, m_empty, free_port(), plan, work, 0)
    stored = GatewayTarget(
        "gw-stored", stored_dir, m_stored, free_port(), plan, work, plan.stored_refunds
    )
    for server in (ceiling, empty.server, stored.server):
        servers.append(server)
        server.start()
    ceiling_url = f"http://127.0.0.1:{ceiling_port}{CEILING_PATH}"
    ceiling_file = work / "ceiling.txt"
    ceiling_bodies(ceiling_file, f"127.0.0.1:{ceiling_port}")

    # Warm up every server (imports, first connections); not counted.
    load.run_wrk(ceiling_url, ceiling_file, seconds=1, mode="cycle")
    for target in (empty, stored):
        warm = work / f"{target.name}-warm.txt"
        ids = fixtures.stored_refund_ids(1) if target.stored_refunds else []
        bodies = [
            target.sign(load.get_refund_params(target.merchant.seller_id, rid)) for rid in ids
        ] or [
            target.sign(
                load.get_refund_params(target.merchant.seller_id, "S01-0000000-0000000-R000000")
            )
        ]
        load.write_lines(warm, bodies)
        load.run_wrk(target.url, warm, seconds=1, mode="cycle")

    rounds: list[dict[str, Any]] = []
    ls_port = free_port()
    for r in range(plan.rounds):
        tag = f"r{r}"
        entry: dict[str, Any] = {}
        steps: list[tuple[str, Callable[[], Any]]] = [
            (
                "ceiling",
                lambda: load.run_wrk(
                    ceiling_url,
                    ceiling_file,
                    seconds=plan.seconds,
                    mode="cycle",
                    server_pid=ceiling.pid,
                ),
            ),
            ("refund", partial(empty.refund_run, tag)),
            ("get", partial(empty.get_run, tag)),
            ("refund_stored", partial(stored.refund_run, tag)),
            ("get_stored", partial(stored.get_run, tag)),
        ]
        for name, step in steps:
            figure = step()
            entry[name] = figure.to_dict()
            log(
                f"round {r + 1} {name}: {figure.rps:.0f} req/s p50 {figure.p50_ms:.1f} ms "
                f"p99 {figure.p99_ms:.1f} ms non2xx {figure.non2xx} exhausted {figure.exhausted}"
            )
        peer = localstripe_round(ls_port, work, plan, tag)
        entry["localstripe_refund"] = peer["refund"]
        entry["localstripe_get"] = peer["get"]
        entry["localstripe_memory"] = peer["memory"]
        log(
            f"round {r + 1} localstripe: refund {peer['refund']['rps']:.0f} req/s, "
            f"get {peer['get']['rps']:.0f} req/s"
        )
        rounds.append(entry)
    memory = {
        name: procs.peak_memory_mib(server.pid)
        for name, server in (
            ("ceiling", ceiling),
            ("gateway_empty", empty.server),
            ("gateway_stored", stored.server),
        )
    }
    memory["localstripe"] = max(
        (e["localstripe_memory"] for e in rounds), key=lambda m: m.get("total_mib", 0)
    )
    return {"rounds": rounds, "api": aggregate(rounds), "memory": memory}


def v2_rounds(plan: Plan, work: Path, servers: list[ServerProcess]) -> dict[str, Any]:
    """API v2: the ceiling's v2 route, then signed Create Refund and Get Refund, per round."""
    #: v2 requests are signed beforehand at about 1 ms each; a v2 refund costs more than a v1 one.
    count = int(plan.seconds * plan.max_rate / 2) + 200
    log(f"API v2: preparing {count * plan.rounds} Captured charges")
    ceiling_port = free_port()
    ceiling = procs.ceiling_server(
        work / "ceiling-v2", ceiling_port, work / "ceiling-v2.log",
        workers=plan.workers, threads=plan.threads,
    )  # fmt: skip
    target = v2.V2Target(
        work / "gw-v2", free_port(), work / "ceiling-v2", ceiling_port, work,
        workers=plan.workers, threads=plan.threads,
    )  # fmt: skip
    target.prepare(count * plan.rounds)
    for server in (ceiling, target.server):
        servers.append(server)
        server.start()
    target.ceiling_run("warm", 1, ceiling.pid)
    target.refund_run("warm", 200, 1)
    rounds: list[dict[str, Any]] = []
    for r in range(plan.rounds):
        tag = f"r{r}"
        entry: dict[str, Any] = {"load_average": os.getloadavg()[0]}
        steps: list[tuple[str, Callable[[], load.WrkResult]]] = [
            ("ceiling", partial(target.ceiling_run, tag, plan.seconds, ceiling.pid)),
            ("refund", partial(target.refund_run, tag, count, plan.seconds)),
            ("get", partial(target.get_run, tag, plan.seconds)),
        ]
        for name, step in steps:
            figure = step()
            entry[name] = figure.to_dict()
            log(
                f"v2 round {r + 1} {name}: {figure.rps:.0f} req/s p50 {figure.p50_ms:.1f} ms "
                f"non2xx {figure.non2xx} exhausted {figure.exhausted}"
            )
        rounds.append(entry)
    out: dict[str, Any] = {name: figures(rounds, name) for name in ("ceiling", "refund", "get")}
    out["load_average"] = summarize([e["load_average"] for e in rounds])
    return {"rounds": rounds, **out}


def figures(rounds: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """One measure's medians (min–max) over the rounds, its ratio taken within each round."""
    return {
        "rps": summarize([e[name]["rps"] for e in rounds]),
        "p50_ms": summarize([e[name]["p50_ms"] for e in rounds]),
        "p99_ms": summarize([e[name]["p99_ms"] for e in rounds]),
        "cpu_ms_per_request": summarize([e[name]["cpu_ms_per_request"] for e in rounds]),
        "ratio_to_ceiling": summarize([e[name]["rps"] / e["ceiling"]["rps"] for e in rounds]),
        "non2xx": sum(e[name]["non2xx"] for e in rounds),
        "exhausted": sum(e[name]["exhausted"] for e in rounds),
    }


def aggregate(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    names = [
        "ceiling",
        "refund",
        "get",
        "refund_stored",
        "get_stored",
        "localstripe_refund",
        "localstripe_get",
    ]
    out: dict[str, Any] = {}
    for name in names:
        out[name] = figures(rounds, name)
    out["refund_vs_localstripe"] = summarize(
        [e["refund"]["rps"] / e["localstripe_refund"]["rps"] for e in rounds]
    )
    out["refund_stored_vs_empty"] = summarize(
        [e["refund_stored"]["rps"] / e["refund"]["rps"] for e in rounds]
    )
    out["get_stored_vs_empty"] = summarize(
        [e["get_stored"]["rps"] / e["get"]["rps"] for e in rounds]
    )
    for name in ("refund", "get"):
        out[f"{name}_cpu_stored_vs_empty"] = summarize(
            [
                e[f"{name}_stored"]["cpu_ms_per_request"] / e[name]["cpu_ms_per_request"]
                for e in rounds
                if e[name]["cpu_ms_per_request"]
            ]
            or [0.0]
        )
    return out


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the under-2-minutes run")
    parser.add_argument("--rounds", type=int, help="rounds (median of; at least 3)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk run")
    parser.add_argument("--stored-refunds", type=int)
    parser.add_argument("--settle-refunds", type=int)
    parser.add_argument("--workers", type=int, help="gunicorn workers (gateway and ceiling)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker")
    parser.add_argument(
        "--only",
        default="api,v2,settle,ipn,listing",
        help="comma-separated parts: api, v2, settle, ipn, listing",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the results (default: bench/results, or bench/results/tmp with --quick)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out or (RESULTS / "tmp" if args.quick else RESULTS)
    base = dict(QUICK if args.quick else FULL)
    for key in ("rounds", "seconds", "stored_refunds", "settle_refunds"):
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    if base["rounds"] < 3:
        parser.error("--rounds must be at least 3 (medians of at least 3 runs)")
    # A SIGTERM (timeout, CI) unwinds like Ctrl-C, so every server this run started is stopped.
    signal.signal(signal.SIGTERM, _terminate)
    plan = Plan(
        mode="quick" if args.quick else "full", workers=args.workers, threads=args.threads, **base
    )
    started = time.monotonic()
    result = run(plan, out, set(args.only.split(",")))
    log(f"done in {time.monotonic() - started:.0f}s: {out / (plan.mode + '.md')}")
    print(render_markdown(result))
