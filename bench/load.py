"""Load generation: pre-signed bodies written to a file, then wrk (Debian's package) with
``bench/wrk.lua``. Every run is bounded in time (``-d``) and in count (each body once, or a
bounded file cycled for reads) and has a socket timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.procs import process_tree
from clients import sigv2

LUA = Path(__file__).with_name("wrk.lua")
OFFAMAZON_PATH = "/OffAmazonPayments_Sandbox/2013-01-01"
CONNECTIONS = 16
THREADS = 2


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    exhausted: int
    #: CPU seconds (user + system) the server's processes spent per request, in ms; a cost
    #: figure that, unlike throughput, hardly depends on what else the machine is doing.
    cpu_ms_per_request: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn master and workers)."""
    total = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk not found: apt-get install -y wrk (Debian's package)")
    return found


def signed_body(
    params: dict[str, str],
    *,
    access_key: str,
    secret: str,
    host: str,
    path: str,
    now: datetime | None = None,
) -> str:
    signed = sigv2.signed_params(
        params, access_key=access_key, secret=secret, method="POST", host=host, path=path, now=now
    )
    return urlencode(signed, quote_via=_quote)


def _quote(
    value: str | bytes, safe: str | bytes = "", encoding: str = "", errors: str = "", /
) -> str:
    """``urlencode``'s ``quote_via``: RFC 3986 (every value here is text)."""
    return sigv2.rfc3986(value if isinstance(value, str) else value.decode())


def refund_params(seller_id: str, capture_id: str, reference: str) -> dict[str, str]:
    return {
        "Action": "Refund",
        "SellerId": seller_id,
        "Version": "2013-01-01",
        "AmazonCaptureId": capture_id,
        "RefundReferenceId": reference,
        "RefundAmount.Amount": "1.00",
        "RefundAmount.CurrencyCode": "USD",
    }


def get_refund_params(seller_id: str, refund_id: str) -> dict[str, str]:
    return {
        "Action": "GetRefundDetails",
        "SellerId": seller_id,
        "Version": "2013-01-01",
        "AmazonRefundId": refund_id,
    }


def write_lines(path: Path, lines: Iterable[str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")
            count += 1
    return count


def run_wrk(
    url: str,
    lines_file: Path,
    *,
    seconds: float,
    mode: str = "once",
    method: str = "POST",
    authorization: str | None = None,
    server_pid: int | None = None,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> WrkResult:
    """One bounded wrk run; raises if wrk fails or prints no result."""
    argv = [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(lines_file),
        str(threads),
        mode,
        method,
    ]
    if authorization:
        argv.append(authorization)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    data = json.loads(line[len("WRKJSON ") :])
    secs = data["duration_us"] / 1e6
    errors = sum(
        data[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout")
    )
    return WrkResult(
        requests=data["requests"],
        seconds=secs,
        rps=data["requests"] / secs if secs else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non2xx=data["non2xx"],
        socket_errors=errors,
        exhausted=data["exhausted"],
        cpu_ms_per_request=cpu * 1000 / data["requests"] if data["requests"] else 0.0,
    )
