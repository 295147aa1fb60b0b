"""The composition root: the one place that says what a runtime's registry holds.

Each product declares its kinds, due work, refund outcome hooks and IPN renderers as plain values
in its own modules; ``build_registry`` installs them, in this order, into a new ``Registry`` that
the ``Runtime`` keeps. Nothing registers itself on import. No Flask here.
"""

from __future__ import annotations

from gateway.domain import billing_agreements, deletion, disputes, kinds, settlement
from gateway.fps import ipn as fps_ipn
from gateway.fps import states as fps_states
from gateway.fps import transactions as fps_transactions
from gateway.ipn import envelope, notification_data
from gateway.registry import Registry
from gateway.v2 import charge_permissions as v2_charge_permissions
from gateway.v2 import charges as v2_charges
from gateway.v2 import checkout_sessions as v2_checkout_sessions
from gateway.v2 import ipn as v2_ipn
from gateway.v2 import refunds as v2_refunds
from gateway.v2 import states as v2_states


def install_offamazon(registry: Registry) -> None:
    """Off-Amazon Payments: its objects (billing agreements too), their due work, disputes'
    refund hook, SNS IPNs."""
    for kind in kinds.KINDS:
        registry.add_kind(kind)
    for due in (*settlement.DUE_WORK, *billing_agreements.DUE_WORK, *deletion.DUE_WORK):
        registry.add_due(due)
    registry.add_refund_outcome_hook(disputes.decline_refunds_of_disputed_orders)
    for notification_type, data in notification_data.DATA:
        registry.add_renderer(notification_type, envelope.sns_renderer(data))


def install_fps(registry: Registry) -> None:
    """FPS: tokens and transactions, the settlement of Pending ones, form-encoded IPNs."""
    for kind in fps_states.KINDS:
        registry.add_kind(kind)
        assert kind.notification is not None
        registry.add_renderer(kind.notification, fps_ipn.render)
    for due in fps_transactions.DUE_WORK:
        registry.add_due(due)


def install_v2(registry: Registry) -> None:
    """API v2: checkout sessions, charge permissions, charges, refunds and disputes on charges;
    their due work (expiry, pending authorizations and captures, refunds); IPN v2 messages."""
    for kind in v2_states.KINDS:
        registry.add_kind(kind)
    for object_type in v2_states.OBJECT_TYPES:
        registry.add_renderer(object_type, v2_ipn.render)
    for due in (
        v2_refunds.DUE,
        v2_charges.DUE,
        v2_checkout_sessions.DUE,
        v2_charge_permissions.DUE,
    ):
        registry.add_due(due)


def build_registry() -> Registry:
    """Everything the simulator serves."""
    registry = Registry()
    install_offamazon(registry)
    install_fps(registry)
    install_v2(registry)
    return registry
