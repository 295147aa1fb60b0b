"""The delivery states' transition table, pair by pair, through ``leases.change``."""

from __future__ import annotations

import itertools

import pytest

from gateway.errors import InvalidStateTransition
from gateway.ipn.leases import TRANSITIONS, DeliveryState, change, check
from gateway.store.models import Notification

#: Written out independently of ``leases.TRANSITIONS``.
EXPECTED = {
    ("pending", "pending"),  # a redelivery restarts the series
    ("pending", "in_flight"),
    ("pending", "no_endpoint"),
    ("in_flight", "in_flight"),  # claimed again once its lease ended
    ("in_flight", "pending"),
    ("in_flight", "delivered"),
    ("in_flight", "failed"),
    ("in_flight", "no_endpoint"),
    ("delivered", "pending"),
    ("failed", "pending"),
    ("no_endpoint", "pending"),
}


def test_the_table_is_the_documented_one():
    assert {(a.value, b.value) for a, tos in TRANSITIONS.items() for b in tos} == EXPECTED
    assert set(TRANSITIONS) == set(DeliveryState)


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(DeliveryState, DeliveryState)), ids=str
)
def test_every_pair(current, target):
    row = Notification(delivery_state=current.value, next_attempt_at=None)
    if (current.value, target.value) in EXPECTED:
        change(row, target, None)
        assert row.delivery_state == target
    else:
        with pytest.raises(InvalidStateTransition):
            change(row, target, None)
        assert row.delivery_state == current


def test_a_set_based_change_checks_every_state_it_leaves():
    check(["pending", "in_flight"], DeliveryState.IN_FLIGHT)
    with pytest.raises(InvalidStateTransition):
        check(["in_flight", "delivered"], DeliveryState.FAILED)
