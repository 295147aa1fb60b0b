"""Importing a merchant's export document into a fresh merchant.

The merchant gets a new seller id and new keys; its settings, preferences, clock and objects are
the document's. Amazon ids are new too (an order reference's id and with it its children's, which
extend it; disputes' and FPS ids; API v2 charge permissions' and with them their charges' and
refunds', checkout sessions'), unless ``keep_ids``, for a document from another sandbox whose
ids a bug report names (an id already in use then fails the import). Notifications keep their
delivery state and attempts but not the message sent: its bytes name the old ids and seller, so
a redelivery renders it again. Fault rules keep their state (hits remaining, the counters a
seeded rule's draws go by); a document without ``fault_rules`` (from before they were exported)
imports with none.

The document is read one array element at a time (``gateway.transfer.jsonstream``) and written
in one transaction, a chunk of rows at a time with the session emptied between chunks: a bad
entry anywhere fails the whole import (nothing is kept) with the path of the entry at fault.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from marshmallow import Schema
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import validation
from gateway.domain.merchants import create_merchant
from gateway.domain.payments import SELLER_INITIATED
from gateway.faults.specs import restore_rule
from gateway.fps.models import FpsAccount, FpsToken, FpsTransaction
from gateway.registry import Registry
from gateway.runtime import Runtime
from gateway.store import merchants
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    LineItem,
    MerchantPreferences,
    Notification,
    NotificationAttempt,
    OrderAdministration,
    OrderReference,
    ReferenceId,
    Refund,
)
from gateway.transfer import document as doc
from gateway.transfer.jsonstream import DocumentError, Reader, members
from gateway.v2.models import V2Charge, V2ChargePermission, V2CheckoutSession, V2Dispute, V2Refund

#: Elements written per flush (the session is emptied after each).
CHUNK = 200
#: IPN parameters of FPS notifications that hold FPS ids (``gateway.fps.states``).
_FPS_ID_PARAMETERS = ("transactionId", "parentTransactionId", "tokenId")


class ImportProblem(ValueError):
    """The document cannot be imported; the message names the entry at fault."""


@dataclass(frozen=True)
class Imported:
    seller_id: str
    access_key: str
    secret_key: str
    counts: dict[str, int]


def load(schema: Schema, data: Any, path: str) -> dict[str, Any]:
    try:
        return validation.load(schema, data, path)
    except validation.InvalidEntry as exc:
        raise ImportProblem(str(exc)) from None


class _Importer:
    def __init__(self, session: Session, runtime: Runtime, keep_ids: bool) -> None:
        self.session, self.runtime, self.keep_ids = session, runtime, keep_ids
        self.registry: Registry = runtime.registry
        self.merchant_id: int | None = None
        self.imported: Imported | None = None
        self.order_ids: dict[str, str] = {}
        self.dispute_ids: dict[str, str] = {}
        self.agreement_ids: dict[str, str] = {}
        #: A billing agreement's row id by its (new) Amazon id.
        self.agreement_pks: dict[str, int] = {}
        self.fps_ids: dict[str, str] = {}
        self.token_pks: dict[str, int] = {}
        self.transaction_pks: dict[str, int] = {}
        #: API v2: charge permission and checkout session ids (charges' and refunds' extend
        #: their charge permission's), and the row ids of charge permissions and charges.
        self.v2_ids: dict[str, str] = {}
        self.v2_pks: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.seen: list[str] = []

    # --- ids ---------------------------------------------------------------------------------

    def _new(self, table: dict[str, str], old: str, make: Any) -> str:
        new = old if self.keep_ids else make()
        table[old] = new
        return new

    def remap(self, object_id: str) -> str:
        tables = (self.order_ids, self.agreement_ids, self.dispute_ids, self.fps_ids, self.v2_ids)
        for table in tables:
            if object_id in table:
                return table[object_id]
        prefix, _, suffix = object_id.rpartition("-")
        for table in (self.order_ids, self.v2_ids):
            if prefix in table:
                return f"{table[prefix]}-{suffix}"
        return object_id

    def _state(self, kind: str, state: str, path: str) -> None:
        if state not in self.registry.kinds[kind].transitions:
            raise ImportProblem(f"{path}.state: {state!r} is not a state of {kind}")

    def _owner(self, path: str) -> int:
        if self.merchant_id is None:
            raise ImportProblem(f"{path}: the merchant must come before it in the document")
        return self.merchant_id

    # --- members -----------------------------------------------------------------------------

    def member(self, name: str, value: Any) -> None:
        self.seen.append(name)
        if name == "format":
            if value != doc.FORMAT:
                raise ImportProblem(f"format: expected {doc.FORMAT!r}, got {value!r}")
        elif name == "version":
            if value != doc.VERSION:
                raise ImportProblem(
                    f"version: this sandbox reads version {doc.VERSION}, got {value!r}"
                )
        elif name == "exported_at":
            pass
        elif name == "merchant":
            self._merchant(load(doc.MerchantDocument(), value, "merchant"))
        elif name == "fps_account":
            if value is not None:
                data = load(doc.FPS_ACCOUNT, value, "fps_account")
                self.session.add(FpsAccount(merchant_id=self._owner("fps_account"), **data))
        elif name in self._ARRAYS:
            if not isinstance(value, Iterator):
                raise ImportProblem(f"{name}: must be an array")
            self._array(name, value)
        else:
            raise ImportProblem(f"{name}: not a member of a merchant export")

    def _merchant(self, data: dict[str, Any]) -> None:
        if self.merchant_id is not None:
            raise ImportProblem("merchant: given twice")
        data.pop("seller_id")
        refund_on_cancel = data.pop("refund_on_cancel")
        clock = {k: data.pop(k) for k in ("clock_offset_seconds", "clock_frozen_at", "created_at")}
        record = create_merchant(self.session, self.runtime.ids, clock["created_at"], **data)
        merchant = merchants.for_update(self.session, record.id)
        merchant.clock_offset_seconds = clock["clock_offset_seconds"]
        merchant.clock_frozen_at = clock["clock_frozen_at"]
        self.session.add(
            MerchantPreferences(merchant_id=record.id, refund_on_cancel=refund_on_cancel)
        )
        self.merchant_id = record.id
        self.imported = Imported(record.seller_id, record.access_key, record.secret_key, {})

    _ARRAYS = (
        "billing_agreements",
        "order_references",
        "fps_tokens",
        "fps_transactions",
        "v2_charge_permissions",
        "v2_checkout_sessions",
        "reference_ids",
        "notifications",
        "fault_rules",
    )

    def _schema(self, name: str) -> Schema:
        if name == "fault_rules":
            # Checked as a new rule is, against this runtime's NotificationTypes.
            return doc.FaultRuleDocument(registry=self.registry)
        return {
            "billing_agreements": doc.BILLING_AGREEMENT,
            "order_references": doc.ORDER_REFERENCE,
            "fps_tokens": doc.FPS_TOKEN,
            "fps_transactions": doc.FPS_TRANSACTION,
            "v2_charge_permissions": doc.V2_CHARGE_PERMISSION,
            "v2_checkout_sessions": doc.V2_CHECKOUT_SESSION,
            "reference_ids": doc.REFERENCE_ID,
            "notifications": doc.NOTIFICATION,
        }[name]

    def _array(self, name: str, items: Iterator[Any]) -> None:
        chunk: list[tuple[str, dict[str, Any]]] = []
        schema = self._schema(name)
        write = getattr(self, f"_write_{name}")
        for index, item in enumerate(items):
            path = f"{name}[{index}]"
            self._owner(path)
            chunk.append((path, load(schema, item, path)))
            if len(chunk) >= CHUNK:
                write(chunk)
                chunk = []
        if chunk:
            write(chunk)

    def _flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError:
            raise ImportProblem(
                "an id of the document is in use in this sandbox: import it without keep_ids"
            ) from None

    def _done(self, kind: str, n: int) -> None:
        self.counts[kind] += n
        self._flush()
        self.session.expunge_all()

    # --- writers -----------------------------------------------------------------------------

    def _write_order_references(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        merchant_id = self._owner("order_references")
        made: list[tuple[str, dict[str, Any], OrderReference]] = []
        for path, data in chunk:
            self._state("OrderReference", data["state"], path)
            new_id = self._new(
                self.order_ids, data["amazon_id"], self.runtime.ids.order_reference_id
            )
            nested = {
                k: data.pop(k)
                for k in ("line_items", "administration", "authorizations", "disputes")
            }
            agreement = data.pop("billing_agreement_id")
            agreement_pk = self.agreement_pks.get(self.remap(agreement)) if agreement else None
            if agreement and agreement_pk is None:
                raise ImportProblem(
                    f"{path}.billing_agreement_id: no such billing agreement before it"
                )
            oro = OrderReference(
                **{**data, "amazon_id": new_id, "merchant_id": merchant_id},
                billing_agreement_id=agreement_pk,
            )
            for a, auth_data in enumerate(nested["authorizations"]):
                auth_path = f"{path}.authorizations[{a}]"
                self._state("Authorization", auth_data["state"], auth_path)
                captures = auth_data.pop("captures")
                auth = Authorization(
                    **{**auth_data, "amazon_id": self.remap(auth_data["amazon_id"])},
                    merchant_id=merchant_id,
                    order_reference=oro,
                )
                for c, cap_data in enumerate(captures):
                    self._state("Capture", cap_data["state"], f"{auth_path}.captures[{c}]")
                    refunds = cap_data.pop("refunds")
                    cap = Capture(
                        **{**cap_data, "amazon_id": self.remap(cap_data["amazon_id"])},
                        merchant_id=merchant_id,
                        authorization=auth,
                        order_reference=oro,
                    )
                    for r, ref in enumerate(refunds):
                        self._state(
                            "Refund", ref["state"], f"{auth_path}.captures[{c}].refunds[{r}]"
                        )
                    self.session.add(cap)
                    nested.setdefault("refunds", []).append((cap, refunds))
                self.session.add(auth)
            self.session.add(oro)
            made.append((path, nested, oro))
        self._flush()
        held: list[
            tuple[str, dict[str, Any], OrderReference, dict[str, Capture], dict[str, int]]
        ] = []
        for path, nested, oro in made:
            for dispute in nested["disputes"]:
                self._new_dispute_id(dispute["amazon_id"])
            by_capture: dict[str, Capture] = {}
            rows: list[dict[str, Any]] = []
            for cap, refunds in nested.get("refunds", []):
                by_capture[cap.amazon_id] = cap
                for ref in refunds:
                    if ref["refund_type"] != SELLER_INITIATED:
                        # A granted dispute's refund has the dispute's id as its reference id.
                        ref = {**ref, "reference_id": self.remap(ref["reference_id"])}
                    rows.append(
                        {
                            **ref,
                            "amazon_id": self.remap(ref["amazon_id"]),
                            "merchant_id": merchant_id,
                            "capture_id": cap.id,
                            "order_reference_id": oro.id,
                        }
                    )
            refund_pks = self._insert(Refund, rows, Refund.amazon_id)
            for line in nested["line_items"]:
                self.session.add(
                    LineItem(**line, merchant_id=merchant_id, order_reference_id=oro.id)
                )
            admin = nested["administration"]
            if admin is not None:
                self._state("OrderAdministration", admin["state"], f"{path}.administration")
                self.session.add(
                    OrderAdministration(
                        **admin,
                        amazon_id=oro.amazon_id,
                        merchant_id=merchant_id,
                        order_reference_id=oro.id,
                    )
                )
            held.append((path, nested, oro, by_capture, refund_pks))
        self._flush()
        for path, nested, oro, by_capture, refund_pks in held:
            for d, dispute in enumerate(nested["disputes"]):
                dispute_path = f"{path}.disputes[{d}]"
                self._state("Dispute", dispute["state"], dispute_path)
                capture = by_capture.get(self.remap(dispute.pop("amazon_capture_id")))
                if capture is None:
                    raise ImportProblem(
                        f"{dispute_path}.amazon_capture_id: not a capture of this order"
                    )
                refund_id = dispute.pop("amazon_refund_id")
                granted = refund_pks.get(self.remap(refund_id)) if refund_id else None
                if refund_id and granted is None:
                    raise ImportProblem(
                        f"{dispute_path}.amazon_refund_id: not a refund of this order"
                    )
                new_id = self.dispute_ids[dispute["amazon_id"]]
                self.session.add(
                    Dispute(
                        **{**dispute, "amazon_id": new_id},
                        merchant_id=merchant_id,
                        order_reference_id=oro.id,
                        capture_id=capture.id,
                        refund_id=granted,
                    )
                )
        self._done("order_references", len(chunk))

    def _write_billing_agreements(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        rows = []
        for path, data in chunk:
            self._state("BillingAgreement", data["state"], path)
            new_id = self._new(
                self.agreement_ids, data["amazon_id"], self.runtime.ids.billing_agreement_id
            )
            rows.append({**data, "amazon_id": new_id, "merchant_id": self.merchant_id})
        self.agreement_pks.update(self._insert(BillingAgreement, rows, BillingAgreement.amazon_id))
        self.counts["billing_agreements"] += len(rows)

    def _write_fps_tokens(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        made = []
        for path, data in chunk:
            self._state("FpsToken", data["state"], path)
            new_id = self._new(self.fps_ids, data["amazon_id"], lambda: self.runtime.ids.token(64))
            token = FpsToken(**{**data, "amazon_id": new_id}, merchant_id=self.merchant_id)
            self.session.add(token)
            made.append(token)
        self._flush()
        self.token_pks.update((t.amazon_id, t.id) for t in made)
        self._done("fps_tokens", len(chunk))

    def _write_fps_transactions(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        made = []
        for path, data in chunk:
            self._state("FpsTransaction", data["state"], path)
            token_id = data.pop("sender_token_id")
            original_id = data.pop("original_transaction_id")
            sender = self.token_pks.get(self.remap(token_id)) if token_id else None
            original = self.transaction_pks.get(self.remap(original_id)) if original_id else None
            if token_id and sender is None:
                raise ImportProblem(f"{path}.sender_token_id: no such token in the document")
            if original_id and original is None:
                raise ImportProblem(f"{path}.original_transaction_id: no earlier such transaction")
            new_id = self._new(self.fps_ids, data["amazon_id"], lambda: self.runtime.ids.token(35))
            txn = FpsTransaction(
                **{**data, "amazon_id": new_id},
                merchant_id=self.merchant_id,
                sender_token_id=sender,
                original_id=original,
            )
            self.session.add(txn)
            made.append(txn)
            self._flush()  # a refund may name the payment just before it
            self.transaction_pks[txn.amazon_id] = txn.id
        self._done("fps_transactions", len(chunk))

    def _new_dispute_id(self, old: str) -> str:
        return self._new(self.dispute_ids, old, lambda: old[0] + self.runtime.ids.token(12))

    def _write_v2_charge_permissions(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        merchant_id = self._owner("v2_charge_permissions")
        made: list[V2ChargePermission | V2Charge] = []
        for path, data in chunk:
            self._state("V2ChargePermission", data["state"], path)
            charges = data.pop("charges")
            new_id = self._new(
                self.v2_ids,
                data["amazon_id"],
                lambda live=data["live"]: self.runtime.ids.order_reference_id(sandbox=not live),
            )
            permission = V2ChargePermission(
                **{**data, "amazon_id": new_id}, merchant_id=merchant_id
            )
            made.append(permission)
            for c, charge_data in enumerate(charges):
                charge_path = f"{path}.charges[{c}]"
                self._state("V2Charge", charge_data["state"], charge_path)
                refunds, disputes = charge_data.pop("refunds"), charge_data.pop("disputes")
                charge = V2Charge(
                    **{**charge_data, "amazon_id": self.remap(charge_data["amazon_id"])},
                    merchant_id=merchant_id,
                    charge_permission=permission,
                )
                made.append(charge)
                for r, refund in enumerate(refunds):
                    self._state("V2Refund", refund["state"], f"{charge_path}.refunds[{r}]")
                    self.session.add(
                        V2Refund(
                            **{**refund, "amazon_id": self.remap(refund["amazon_id"])},
                            merchant_id=merchant_id,
                            charge=charge,
                        )
                    )
                for d, dispute in enumerate(disputes):
                    self._state("V2Dispute", dispute["state"], f"{charge_path}.disputes[{d}]")
                    new_dispute = self._new_dispute_id(dispute["amazon_id"])
                    self.session.add(
                        V2Dispute(
                            **{**dispute, "amazon_id": new_dispute},
                            merchant_id=merchant_id,
                            charge=charge,
                        )
                    )
            self.session.add(permission)
        self._flush()
        self.v2_pks.update((row.amazon_id, row.id) for row in made)
        self._done("v2_charge_permissions", len(chunk))

    def _write_v2_checkout_sessions(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        merchant_id = self._owner("v2_checkout_sessions")
        for path, data in chunk:
            self._state("V2CheckoutSession", data["state"], path)
            links: dict[str, int | None] = {}
            for name in ("charge_permission_id", "charge_id"):
                old = data.pop(name)
                links[name] = self.v2_pks.get(self.remap(old)) if old else None
                if old and links[name] is None:
                    raise ImportProblem(
                        f"{path}.{name}: not in the document's v2 charge permissions"
                    )
            new_id = self._new(self.v2_ids, data["amazon_id"], self.runtime.ids.uuid)
            self.session.add(
                V2CheckoutSession(**{**data, "amazon_id": new_id}, merchant_id=merchant_id, **links)
            )
        self._done("v2_checkout_sessions", len(chunk))

    def _insert(self, model: Any, rows: list[dict[str, Any]], key: Any) -> dict[str, int]:
        """Write ``rows`` with one executemany; their ids by ``key``."""
        if not rows:
            return {}
        try:
            found = self.session.execute(insert(model).returning(key, model.id), rows)
        except IntegrityError:
            raise ImportProblem(
                "an id of the document is in use in this sandbox: import it without keep_ids"
            ) from None
        return {k: pk for k, pk in found}

    def _write_reference_ids(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        rows = [
            {**data, "object_id": self.remap(data["object_id"]), "merchant_id": self.merchant_id}
            for _, data in chunk
        ]
        self.session.execute(insert(ReferenceId), rows)
        self.counts["reference_ids"] += len(rows)

    def _write_notifications(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        rows, attempts = [], []
        for _, data in chunk:
            data.pop("message")  # its bytes name the old ids: a redelivery renders it again
            attempts.append(data.pop("attempts"))
            extra = dict(data.get("extra") or {})
            if isinstance(extra.get("ChargePermissionId"), str):  # an IPN v2's (gateway.v2.states)
                extra["ChargePermissionId"] = self.remap(extra["ChargePermissionId"])
            if isinstance(extra.get("fps"), dict):
                extra["fps"] = {
                    k: self.remap(v) if k in _FPS_ID_PARAMETERS and isinstance(v, str) else v
                    for k, v in extra["fps"].items()
                }
            rows.append(
                {
                    **data,
                    "object_id": self.remap(data["object_id"]),
                    "extra": extra,
                    "merchant_id": self.merchant_id,
                }
            )
        ids = self.session.scalars(
            insert(Notification).returning(Notification.id, sort_by_parameter_order=True), rows
        ).all()
        tried = [
            {**attempt, "notification_id": pk}
            for pk, made in zip(ids, attempts, strict=True)
            for attempt in made
        ]
        if tried:
            self.session.execute(insert(NotificationAttempt), tried)
        self.counts["notifications"] += len(rows)

    def _write_fault_rules(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        merchant_id = self._owner("fault_rules")
        for _, data in chunk:
            restore_rule(self.session, merchant_id, data)
        self._done("fault_rules", len(chunk))


def import_merchant(runtime: Runtime, stream: IO[bytes], *, keep_ids: bool = False) -> Imported:
    """Read an export document from ``stream`` into a new merchant, all or nothing."""
    reader = Reader(stream)
    with runtime.db.session(write=True) as session:
        importer = _Importer(session, runtime, keep_ids)
        try:
            for name, value in members(reader):
                importer.member(name, value)
            reader.end()
        except DocumentError as exc:
            raise ImportProblem(str(exc)) from None
        if importer.imported is None:
            raise ImportProblem("merchant: missing")
        if "format" not in importer.seen:
            raise ImportProblem("format: missing (is this a merchant export?)")
        done = importer.imported
        return Imported(done.seller_id, done.access_key, done.secret_key, dict(importer.counts))
