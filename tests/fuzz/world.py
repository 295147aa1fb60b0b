"""The merchants and objects fuzzed calls name, made through the APIs themselves.

Three merchants: ``signer`` signs the emulated APIs' calls, ``other`` is someone else (its
objects must stay out of reach), ``controlled`` is the one the control API's calls change (its
clock, settings and disputes), so that they do not pull the signer's objects out from under the
other calls. Each has a Draft and an Open order reference, an Open authorization, a Completed
capture with a Pending refund, a Draft and an Open billing agreement, FPS tokens with a payment
and a refund; ``controlled`` has a
dispute and notifications too. Objects that successful fuzzed calls make join the pools, so later
calls reach them (authorizations made by a fuzzed Authorize are captured by a later Capture),
and the signer gets fresh ones every ``REFRESH_EVERY`` calls. The setup's requests are not
counted among the fuzzed ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from tests.fuzz.calls import UNIQUE, Clock, ControlCall, QueryCall, Ref, Sent
from tests.fuzz.transports import Http, Reply, ServerLog, Transport

ROLES = ("signer", "other", "controlled")
#: The kinds of object a ``Ref`` names (``role:kind``), and the answer elements they are read from.
HARVESTED = {
    "AmazonAuthorizationId": "authorization",
    "AmazonCaptureId": "capture",
    "AmazonRefundId": "refund",
    "TransactionId": "fps-transaction",
    "TokenId": "fps-token",
    "AmazonBillingAgreementId": "billing-agreement",
    "AmazonOrderReferenceId": "order",
}
#: Most objects of one kind kept, the newest (pools grow as calls succeed).
POOL_LIMIT = 32
#: Calls between two rounds of fresh objects: fuzzed calls close orders, use up authorizations
#: and tokens, and later calls would otherwise meet only objects in final states.
REFRESH_EVERY = 40


class SetupError(AssertionError):
    """Making the world failed: the answer is quoted (this is not a fuzzing finding)."""


@dataclass
class FuzzWorld:
    """Implements ``calls.World`` over a transport."""

    transport: Transport
    now: Callable[[], datetime]
    backend: str
    accounts: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    #: Fresh objects are made for the signer every this many calls (0: never).
    refresh_every: int = REFRESH_EVERY
    _sent: int = 0
    _made: int = 0
    _unique: int = 0

    @classmethod
    def for_server(cls, port: int, log: Path, backend: str) -> FuzzWorld:
        """A world made through a running server on ``127.0.0.1:port`` that logs to ``log``."""
        return cls(Http(port, ServerLog(log)), lambda: datetime.now(UTC), backend).make()

    @property
    def host(self) -> str:
        return self.transport.host

    def credentials(self, role: str) -> tuple[str, str, str]:
        return self.accounts[role]

    def resolve(self, ref: Ref) -> str:
        """The ``index``-th newest object of the kind; a new unique name for kind ``unique``."""
        if ref.kind == UNIQUE:
            self._unique += 1
            return f"fz{ref.index}x{self._unique}"
        pool = self.ids.get(ref.kind) or [f"NO-{ref.kind.upper()}"]
        return pool[-1 - ref.index % len(pool)]

    def add(self, kind: str, value: str) -> None:
        """Pool ``value``; the oldest of its kind leaves once there are ``POOL_LIMIT``."""
        pool = self.ids.setdefault(kind, [])
        if value not in pool:
            pool.append(value)
            del pool[:-POOL_LIMIT]

    # --- sending -------------------------------------------------------------------------------

    def send(self, sent: Sent) -> Reply:
        """Send a fuzzed call (every ``refresh_every`` calls, make fresh objects first)."""
        self._sent += 1
        if self.refresh_every and self._sent % self.refresh_every == 0:
            self._objects("signer")
        reply = self.transport.send(sent.wire)
        if sent.role is not None and 200 <= reply.status < 300:
            self._harvest(sent.role, reply)
        return reply

    def _harvest(self, role: str, reply: Reply) -> None:
        try:
            root = ElementTree.fromstring(reply.body)
        except ElementTree.ParseError:
            return  # the oracle reports it
        for element in root.iter():
            kind = HARVESTED.get(element.tag.rsplit("}", 1)[-1])
            if kind and element.text:
                self.add(f"{role}:{kind}", element.text)

    # --- setup ---------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        segments = tuple(path.strip("/").split("/"))
        call = ControlCall(method, path, segments, body=body)
        reply = self.transport.send(call.to_wire(self).wire)
        if not 200 <= reply.status < 300:
            raise SetupError(f"{method} {path}: {reply.status} {reply.body[:500]!r}")
        return json.loads(reply.body)

    def signed(
        self, api: str, action: str, role: str = "signer", **params: str
    ) -> ElementTree.Element:
        seller_id = self.accounts[role][0]
        base: dict[str, str] = (
            {"SellerId": seller_id, "Version": "2013-01-01"}
            if api == "offamazon"
            else {"Version": "2010-08-28"}
        )
        call = QueryCall(
            api="offamazon" if api == "offamazon" else "fps",
            action=action,
            method="POST" if api == "offamazon" else "GET",
            path="/OffAmazonPayments_Sandbox/2013-01-01" if api == "offamazon" else "/",
            params=tuple({**base, **params}.items()),
            role=role,
            clock=Clock(),
            placement="body" if api == "offamazon" else "query",
        )
        reply = self.transport.send(call.to_wire(self).wire)
        if reply.status != 200:
            raise SetupError(f"{api} {action}: {reply.status} {reply.body[:500]!r}")
        return ElementTree.fromstring(reply.body)

    def make(self) -> FuzzWorld:
        for role in ROLES:
            merchant = self.control("POST", "/sandbox/api/v1/merchants", {})
            self.accounts[role] = (
                merchant["seller_id"],
                merchant["access_key"],
                merchant["secret_key"],
            )
            self.add(f"{role}:seller", merchant["seller_id"])
        for role in ROLES:
            self._objects(role)
        self._control_objects("controlled")
        return self

    def _objects(self, role: str) -> None:
        self._made += 1
        tag = f"w{self._made}"
        seller = self.accounts[role][0]
        orders = f"/sandbox/api/v1/merchants/{seller}/order-references"
        self.add(f"{role}:order", self.control("POST", orders, {})["amazon_order_reference_id"])
        order = self.control("POST", orders, {})["amazon_order_reference_id"]
        self.add(f"{role}:order", order)
        off = self._as(role, "offamazon")
        off(
            "SetOrderReferenceDetails",
            AmazonOrderReferenceId=order,
            **{
                "OrderReferenceAttributes.OrderTotal.Amount": "1000.00",
                "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
            },
        )
        off("ConfirmOrderReference", AmazonOrderReferenceId=order)
        auth_ids = []
        for n in (1, 2):
            answer = off(
                "Authorize",
                AmazonOrderReferenceId=order,
                AuthorizationReferenceId=f"{tag}-auth-{n}",
                **{
                    "AuthorizationAmount.Amount": "100.00",
                    "AuthorizationAmount.CurrencyCode": "USD",
                },
                TransactionTimeout="0",
            )
            auth_ids.append(_text(answer, "AmazonAuthorizationId"))
        for auth in auth_ids:
            self.add(f"{role}:authorization", auth)
        capture = _text(
            off(
                "Capture",
                AmazonAuthorizationId=auth_ids[0],
                CaptureReferenceId=f"{tag}-capture",
                **{"CaptureAmount.Amount": "60.00", "CaptureAmount.CurrencyCode": "USD"},
            ),
            "AmazonCaptureId",
        )
        self.add(f"{role}:capture", capture)
        refund = off(
            "Refund",
            AmazonCaptureId=capture,
            RefundReferenceId=f"{tag}-refund",
            **{"RefundAmount.Amount": "5.00", "RefundAmount.CurrencyCode": "USD"},
        )
        self.add(f"{role}:refund", _text(refund, "AmazonRefundId"))
        agreements = f"/sandbox/api/v1/merchants/{seller}/billing-agreements"
        for _ in range(2):
            agreement = self.control("POST", agreements, {})["amazon_billing_agreement_id"]
            self.add(f"{role}:billing-agreement", agreement)
        off("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
        fps = self._as(role, "fps")
        tokens = f"/sandbox/api/v1/merchants/{seller}/fps/tokens"
        # ABT payments succeed at once (refundable now); CC ones stay Pending until settled.
        made = []
        for token_type, method in (("MultiUse", "ABT"), ("SingleUse", "CC"), ("MultiUse", "CC")):
            body = {"token_type": token_type, "payment_method": method}
            made.append(self.control("POST", tokens, body)["TokenId"])
            self.add(f"{role}:fps-token", made[-1])
        paid = fps(
            "Pay",
            SenderTokenId=made[0],
            CallerReference=f"{tag}-pay",
            **{"TransactionAmount.Value": "40.00", "TransactionAmount.CurrencyCode": "USD"},
        )
        payment = _text(paid, "TransactionId")
        self.add(f"{role}:fps-transaction", payment)
        refunded = fps("Refund", TransactionId=payment, CallerReference=f"{tag}-fps-refund")
        self.add(f"{role}:fps-transaction", _text(refunded, "TransactionId"))

    def _as(self, role: str, api: str) -> Callable[..., ElementTree.Element]:
        def call(action: str, **params: str) -> ElementTree.Element:
            return self.signed(api, action, role, **params)

        return call

    def _control_objects(self, role: str) -> None:
        seller = self.accounts[role][0]
        base = f"/sandbox/api/v1/merchants/{seller}"
        dispute = self.control(
            "POST",
            f"{base}/disputes",
            {"type": "chargeback", "amazon_capture_id": self.ids[f"{role}:capture"][0]},
        )
        self.add(f"{role}:dispute", dispute["dispute_id"])
        for row in self.control("GET", f"{base}/notifications")["items"]:
            self.add(f"{role}:notification", str(row["id"]))
            self.add(f"{role}:object", row["object_id"])


def _text(root: ElementTree.Element, local_name: str) -> str:
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local_name and element.text:
            return element.text
    raise SetupError(f"no {local_name} in {ElementTree.tostring(root)[:500]!r}")
