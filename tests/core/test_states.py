"""The transition tables, pair by pair, through the one way objects change state.

Every ``(current, target)`` pair of each kind goes through ``gateway.domain.lifecycle.transition``:
the pairs the table allows succeed and write exactly one ``Notification`` row (none when the
target state is silent); every other pair raises ``InvalidStateTransition`` and writes nothing.
The expected tables are written out here from reference §1.7, independently of ``states.py``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.composition import build_registry
from gateway.domain.lifecycle import Context, inserted, moved, transition
from gateway.domain.records import MerchantRecord, RefundRecord
from gateway.domain.states import (
    AuthorizationState,
    BillingAgreementState,
    CaptureState,
    DisputeState,
    OrderReferenceState,
    RefundState,
)
from gateway.errors import InvalidStateTransition
from gateway.store import merchants, refunds
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    Notification,
    OrderReference,
    Refund,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

#: Reference §1.7, written out as (from, to) pairs.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "OrderReference": {
        ("Draft", "Open"),
        ("Draft", "Canceled"),
        ("Open", "Suspended"),
        ("Open", "Canceled"),
        ("Open", "Closed"),
        ("Suspended", "Open"),
        ("Suspended", "Canceled"),
        ("Suspended", "Closed"),
    },
    "Authorization": {
        ("Pending", "Open"),
        ("Pending", "Declined"),
        ("Pending", "Closed"),
        ("Open", "Closed"),
    },
    "Capture": {
        ("Pending", "Completed"),
        ("Pending", "Declined"),
        ("Completed", "Closed"),
    },
    "Refund": {
        ("Pending", "Completed"),
        ("Pending", "Declined"),
    },
    # Amazon's "Billing agreement states and reason codes" page.
    "BillingAgreement": {
        ("Draft", "Open"),
        ("Draft", "Canceled"),
        ("Open", "Suspended"),
        ("Open", "Closed"),
        ("Suspended", "Open"),
        ("Suspended", "Closed"),
    },
}

STATES: dict[str, type[Enum]] = {
    "OrderReference": OrderReferenceState,
    "Authorization": AuthorizationState,
    "Capture": CaptureState,
    "Refund": RefundState,
    "BillingAgreement": BillingAgreementState,
}

PAIRS = [
    (kind, current.value, target.value)
    for kind, enum in STATES.items()
    for current, target in itertools.product(enum, enum)
]


def test_tables_are_the_documented_ones():
    kinds = build_registry().kinds
    for kind, expected in EXPECTED.items():
        table = kinds[kind].transitions
        assert {(a.value, b.value) for a, tos in table.items() for b in tos} == expected, kind
        # Every state has a row, even terminal ones.
        assert set(table) == set(STATES[kind])


def _object(kind: str, merchant: MerchantRecord, state: str) -> Any:
    """An unsaved object of ``kind`` in ``state`` (transition touches only its attributes)."""
    common = {
        "amazon_id": f"S01-0000000-0000000-{kind[0]}000001",
        "merchant_id": merchant.id,
        "state": state,
        "last_update": NOW,
        "created_at": NOW,
    }
    if kind == "OrderReference":
        return OrderReference(**common, expires_at=NOW + timedelta(days=180))
    if kind == "Authorization":
        return Authorization(**common, expires_at=NOW + timedelta(days=30))
    if kind == "Capture":
        return Capture(**common)
    if kind == "Refund":
        return Refund(**common)
    if kind == "BillingAgreement":
        return BillingAgreement(**common, currency="USD", limit_minor=50000)
    return Dispute(**common, dispute_type="chargeback")


def _notifications(session: Any) -> int:
    session.flush()
    count: int = session.scalar(select(func.count()).select_from(Notification))
    return count


@pytest.fixture
def context(runtime, merchant):
    """A Context in a transaction that is rolled back after the test."""
    with runtime.db.session() as session:
        m = merchants.by_seller_id(session, merchant.seller_id)
        assert m is not None
        yield Context(session, m, NOW, runtime.ids, runtime.registry)
        session.rollback()


@pytest.mark.parametrize(("kind", "current", "target"), PAIRS, ids="-".join)
def test_every_pair(context, kind, current, target):
    obj = _object(kind, context.merchant, current)
    before = _notifications(context.session)
    if (current, target) in EXPECTED[kind]:
        transition(context, obj, target, "SomeReason", "some description")
        assert (obj.state, obj.reason_code, obj.last_update) == (target, "SomeReason", NOW)
        written = _notifications(context.session) - before
        assert written == (0 if target in context.registry.kinds[kind].silent else 1)
        if written:
            row = context.session.scalars(select(Notification)).all()[-1]
            assert (row.object_kind, row.object_id, row.state, row.reason_code) == (
                kind,
                obj.amazon_id,
                target,
                "SomeReason",
            )
    else:
        with pytest.raises(InvalidStateTransition):
            transition(context, obj, target)
        assert obj.state == current
        assert _notifications(context.session) == before


def test_silent_states_are_the_documented_ones():
    # A confirmed order reference (Draft -> Open) and a new refund (Pending) are not announced.
    kinds = build_registry().kinds
    assert {k: set(kind.silent) for k, kind in kinds.items() if k in EXPECTED} == {
        "OrderReference": {"Draft", "Open"},
        "Authorization": set(),
        "Capture": set(),
        "Refund": {"Pending"},
        "BillingAgreement": {"Draft"},
    }


@pytest.mark.parametrize(
    ("current", "target"),
    list(itertools.product(DisputeState, DisputeState)),
    ids=lambda s: s.value,
)
def test_dispute_pairs(context, current, target):
    obj = _object("Dispute", context.merchant, current.value)
    before = _notifications(context.session)
    allowed = (current, target) in {
        (DisputeState.OPEN, DisputeState.GRANTED),
        (DisputeState.OPEN, DisputeState.DENIED),
    }
    if allowed:
        transition(context, obj, target.value)
        assert _notifications(context.session) - before == 1  # a chargeback is notified
    else:
        with pytest.raises(InvalidStateTransition):
            transition(context, obj, target.value)
        assert _notifications(context.session) == before


def _capture_chain(context: Context) -> Capture:
    """A Completed capture with its authorization and order reference, written to the session."""
    session = context.session
    oro = _object("OrderReference", context.merchant, "Closed")
    auth = _object("Authorization", context.merchant, "Closed")
    cap: Capture = _object("Capture", context.merchant, "Completed")
    oro.amazon_id, auth.amazon_id, cap.amazon_id = (
        "S01-0000000-0000001",
        "S01-0000000-0000001-A000001",
        "S01-0000000-0000001-C000001",
    )
    auth.order_reference = oro
    auth.reference_id, auth.currency, auth.amount_minor = "a1", "USD", 1000
    cap.authorization, cap.order_reference = auth, oro
    cap.reference_id, cap.currency, cap.amount_minor = "c1", "USD", 1000
    session.add_all([oro, auth, cap])
    session.flush()
    return cap


def _refund_record(context: Context, state: str) -> RefundRecord:
    cap = _capture_chain(context)
    return RefundRecord(
        id=0,
        amazon_id="S01-0000000-0000001-R000001",
        merchant_id=context.merchant.id,
        capture_id=cap.id,
        order_reference_id=cap.order_reference_id,
        reference_id="r1",
        refund_type="SellerInitiated",
        currency="USD",
        amount_minor=100,
        fee_refunded_minor=0,
        seller_note=None,
        soft_descriptor=None,
        state=state,
        reason_code=None,
        reason_description=None,
        last_update=NOW,
        created_at=NOW,
        due_at=None,
        planned_state=None,
        planned_reason=None,
        version=1,
    )


@pytest.mark.parametrize("state", [s.value for s in RefundState])
def test_inserted_checks_the_initial_states(context, state):
    """``lifecycle.inserted`` (the Refund hot path) obeys the same table as ``created``."""
    record = _refund_record(context, state)
    before = _notifications(context.session)
    refund = context.registry.kinds["Refund"]
    if state in refund.initial:
        stored = inserted(context, "Refund", record, refunds.insert_refund)
        row = context.session.get_one(Refund, stored.id)
        assert stored == refunds.by_id(context.session, stored.id)
        assert (row.amazon_id, row.state, row.last_update, row.version) == (
            record.amazon_id,
            state,
            NOW,
            1,
        )
        assert (row.refund_type, row.fee_refunded_minor) == ("SellerInitiated", 0)
        written = _notifications(context.session) - before
        assert written == (0 if state in refund.silent else 1)
    else:
        with pytest.raises(InvalidStateTransition):
            inserted(context, "Refund", record, refunds.insert_refund)
        assert context.session.scalar(select(func.count()).select_from(Refund)) == 0
        assert _notifications(context.session) == before


@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for k, c, t in PAIRS if k == "Refund"], ids="-".join
)
def test_moved_checks_the_table(context, current, target):
    """``lifecycle.moved`` (refund settlement) obeys the same table as ``transition``."""
    record = _refund_record(context, current)
    if (current, target) in EXPECTED["Refund"]:
        changed, notification = moved(context, "Refund", record, target, "SomeReason")
        assert (changed.state, changed.reason_code, changed.last_update) == (
            target,
            "SomeReason",
            NOW,
        )
        assert (changed.due_at, changed.planned_state, changed.version) == (None, None, 1)
        assert notification is not None
        assert (notification["object_id"], notification["state"]) == (record.amazon_id, target)
    else:
        with pytest.raises(InvalidStateTransition):
            moved(context, "Refund", record, target)
