"""API v2 load: signed Create Refund and Get Refund against a gateway, beside the ceiling's v2
route (the same RSA-PSS signature check, one insert and one select) in the same round.

RSA-PSS signing costs about a millisecond, so every request is signed beforehand, right before
its load run (``x-amz-pay-date`` must be within 15 minutes of the server's time): each Create
Refund with its own ``x-amz-pay-idempotency-key`` and its own Captured charge (a new refund),
Get Refund requests cycled. Lines are wrk.lua's ``RAW`` requests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bench import fixtures, load
from bench.ceiling import V2_KEY_ID, V2_PATH, v2_private_key
from clients.amazon_pay_v2.client import AmazonPayV2Client
from tests.support.servers import GatewayServer

READS = 1_000


def raw_line(
    client: AmazonPayV2Client, method: str, path: str, body: str = "", idempotency_key: str = ""
) -> str:
    """One signed request as a wrk.lua ``RAW`` line."""
    extra = {"x-amz-pay-idempotency-key": idempotency_key} if idempotency_key else {}
    headers = client.signed_headers(method, path, body.encode(), extra=extra)
    return "\t".join([method, path, body, *(f"{k}: {v}" for k, v in headers.items())])


def refund_body(charge_id: str) -> str:
    return json.dumps(
        {"chargeId": charge_id, "refundAmount": {"amount": "1.00", "currencyCode": "USD"}},
        separators=(",", ":"),
    )


class V2Target:
    """A gateway on a database of Captured v2 charges, and the ceiling's v2 route."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        ceiling_dir: Path,
        ceiling_port: int,
        work: Path,
        *,
        workers: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.data_dir, self.work = data_dir, work
        self.host = f"127.0.0.1:{port}"
        merchant = fixtures.create_database(data_dir)
        key_id, pem = fixtures.create_v2_key(data_dir, merchant)
        self.client = AmazonPayV2Client(key_id, pem, endpoint=f"http://{self.host}")
        self.ceiling = AmazonPayV2Client(
            V2_KEY_ID, v2_private_key(ceiling_dir), endpoint=f"http://127.0.0.1:{ceiling_port}"
        )
        self.ceiling_url = f"http://127.0.0.1:{ceiling_port}{V2_PATH}"
        self.url = f"http://{self.host}/"
        self.next_charge = 0
        self.server = GatewayServer(
            data_dir,
            port=port,
            log_path=work / "gw-v2.log",
            access_log=False,
            workers=workers,
            threads=threads,
        )
        self.merchant = merchant

    def prepare(self, charges: int) -> None:
        fixtures.load_v2(self.data_dir, self.merchant, captured_charges=charges)

    def _run(
        self, name: str, lines: Iterable[str], url: str, seconds: float, mode: str, pid: int
    ) -> load.WrkResult:
        path = self.work / f"v2-{name}.txt"
        load.write_lines(path, lines)
        return load.run_wrk(url, path, seconds=seconds, mode=mode, method="RAW", server_pid=pid)

    def ceiling_run(self, tag: str, seconds: float, pid: int) -> load.WrkResult:
        lines = (
            raw_line(self.ceiling, "POST", V2_PATH, refund_body(f"ceiling-{i}"), f"{tag}-{i}")
            for i in range(READS)
        )
        return self._run(f"{tag}-ceiling", lines, self.ceiling_url, seconds, "cycle", pid)

    def refund_run(self, tag: str, count: int, seconds: float) -> load.WrkResult:
        charges = fixtures.v2_charge_ids(count, self.next_charge)
        self.next_charge += count
        path = f"{self.client.path_prefix}refunds"
        lines = (
            raw_line(self.client, "POST", path, refund_body(c), f"bench-{tag}-{i}")
            for i, c in enumerate(charges)
        )
        return self._run(f"{tag}-refund", lines, self.url, seconds, "once", self.server.pid)

    def get_run(self, tag: str, seconds: float) -> load.WrkResult:
        conn = sqlite3.connect(fixtures.database_path(self.data_dir))
        try:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT amazon_id FROM v2_refunds ORDER BY random() LIMIT ?", (READS,)
                )
            ]
        finally:
            conn.close()
        lines = (raw_line(self.client, "GET", f"{self.client.path_prefix}refunds/{r}") for r in ids)
        return self._run(f"{tag}-get", lines, self.url, seconds, "cycle", self.server.pid)
