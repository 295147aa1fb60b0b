"""In-process API v2 calls: signed like the SDKs (``clients.amazon_pay_v2.signing``) through
Flask's test client, as a merchant with a key made through the domain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from clients.amazon_pay_v2 import signing
from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.v2 import buyers, keys

HOST = "localhost"


@cache
def private_key_pem() -> str:
    """One RSA key for the whole session (making one costs ~0.1 s)."""
    return keys.new_private_key_pem()


@dataclass
class V2Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def reason(self) -> str | None:
        code = self.body.get("reasonCode")
        return None if code is None else str(code)


def register_key(
    runtime: Runtime, seller_id: str, *, environment: str | None = "sandbox", pem: str | None = None
) -> str:
    """Register the public key of ``pem`` (default: the session's) for the merchant; its id."""

    def work(session: Any) -> str:
        merchant = merchants.by_seller_id(session, seller_id)
        assert merchant is not None
        row = keys.register_key(
            session,
            runtime.ids,
            merchant.id,
            signing.public_key_pem(pem or private_key_pem()),
            runtime.clock.now(),
            environment=environment,
        )
        return row.public_key_id

    return runtime.db.run(work)


def issue_buyer(runtime: Runtime, seller_id: str, name: str = "Jane Buyer") -> str:
    def work(session: Any) -> str:
        merchant = merchants.by_seller_id(session, seller_id)
        assert merchant is not None
        details = buyers.details_from_sandbox(
            {"name": name, "email": "jane@example.com", "phone": "206-555-0101"},
            {
                "name": name,
                "address_line1": "410 Terry Ave N",
                "city": "Seattle",
                "state_or_region": "WA",
                "postal_code": "98109",
                "country_code": "US",
            },
        )
        return buyers.issue_buyer_token(
            session, runtime.ids, merchant.id, details, runtime.clock.now()
        )

    return runtime.db.run(work)


def signed_request(
    public_key_id: str,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    *,
    headers: dict[str, str] | None = None,
    algorithm: str = signing.DEFAULT_ALGORITHM,
    pem: str | None = None,
) -> dict[str, str]:
    """The headers of a request signed as the SDKs sign it."""
    sent = {
        "accept": "application/json",
        "content-type": "application/json",
        "x-amz-pay-date": signing.pay_date(now),
        "x-amz-pay-host": HOST,
        "x-amz-pay-region": "na",
        **(headers or {}),
    }
    return signing.sign_request(
        pem or private_key_pem(),
        public_key_id,
        method=method,
        path=path,
        headers=sent,
        body=body,
        algorithm=algorithm,
    )


class V2Api:
    """Signed API v2 calls through Flask's test client."""

    def __init__(
        self,
        client: Any,
        public_key_id: str,
        clock: FrozenClock,
        *,
        base: str = "/v2",
        algorithm: str = signing.DEFAULT_ALGORITHM,
        pem: str | None = None,
    ) -> None:
        self.client, self.public_key_id, self.clock = client, public_key_id, clock
        self.base, self.algorithm, self.pem = base, algorithm, pem or private_key_pem()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        date: datetime | None = None,
        tamper: bytes | None = None,
    ) -> V2Answer:
        """``body`` a JSON value (dumped) or bytes; ``tamper`` is sent instead of what was
        signed."""
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        full = f"{self.base}/{path}"
        signed = signed_request(
            self.public_key_id,
            method,
            full,
            raw,
            date or self.clock.now(),
            headers=headers,
            algorithm=self.algorithm,
            pem=self.pem,
        )
        response = self.client.open(
            full, method=method, data=tamper if tamper is not None else raw, headers=signed
        )
        return V2Answer(response.status_code, response.get_json(), dict(response.headers))
