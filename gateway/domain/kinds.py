"""The Off-Amazon Payments kinds: each object's table, first states, silent states, notification.

Declarations only; ``gateway.composition`` installs them in the runtime's registry. No Flask here.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.states import (
    ADMINISTRATION_TRANSITIONS,
    AUTHORIZATION_TRANSITIONS,
    BILLING_AGREEMENT_TRANSITIONS,
    CAPTURE_TRANSITIONS,
    DISPUTE_TRANSITIONS,
    ORDER_REFERENCE_TRANSITIONS,
    REFUND_TRANSITIONS,
)
from gateway.domain.states import AdministrationState as M
from gateway.domain.states import AuthorizationState as A
from gateway.domain.states import BillingAgreementState as B
from gateway.domain.states import CaptureState as C
from gateway.domain.states import DisputeState as D
from gateway.domain.states import OrderReferenceState as O
from gateway.domain.states import RefundState as R
from gateway.registry import Kind
from gateway.store.models import (
    Authorization,
    BillingAgreement,
    Capture,
    Dispute,
    OrderAdministration,
    OrderReference,
    Refund,
)

# Silent states are those Amazon does not notify when an object enters them. Confirming
# (Draft -> Open) is answered synchronously and a new order reference is not announced; a refund
# is always Pending at first, and its IPN comes when it settles. UNCONFIRMED: our reading of
# Amazon's IPN guide ("sent when the state changes"); every other state entered is notified.
# NotificationTypes per kind [SRC: reference/amazon-wire.md §2.3].

ORDER_REFERENCE = Kind(
    "OrderReference",
    OrderReference,
    ORDER_REFERENCE_TRANSITIONS,
    initial=frozenset({O.DRAFT}),
    silent=frozenset({O.DRAFT, O.OPEN}),
    notification="OrderReferenceNotification",
)
AUTHORIZATION = Kind(
    "Authorization",
    Authorization,
    AUTHORIZATION_TRANSITIONS,
    initial=frozenset(A),
    silent=frozenset(),
    notification="PaymentAuthorize",
)
CAPTURE = Kind(
    "Capture",
    Capture,
    CAPTURE_TRANSITIONS,
    initial=frozenset(C),
    silent=frozenset(),
    notification="PaymentCapture",
)
REFUND = Kind(
    "Refund",
    Refund,
    REFUND_TRANSITIONS,
    initial=frozenset({R.PENDING}),
    silent=frozenset({R.PENDING}),
    notification="PaymentRefund",
)
#: A dispute's NotificationType depends on its type (``lifecycle.notification_type``).
DISPUTE = Kind(
    "Dispute",
    Dispute,
    DISPUTE_TRANSITIONS,
    initial=frozenset({D.OPEN}),
    silent=frozenset(),
    notification=None,
)

#: The EventType of a billing agreement's state change; its other event, PaymentMethodUpdated,
#: is sent without a change of state (``gateway.domain.billing_agreements``)
#: [SRC: reference/amazon-wire.md §2.3; Java IPN fixtures BillingAgreementNotification.json,
#: BA_PaymentMethodUpdated.json].
STATUS_UPDATED = "BillingAgreementStatusUpdated"


def _status_updated(_agreement: Any) -> dict[str, Any]:
    return {"EventType": STATUS_UPDATED}


# A new (Draft) agreement is not announced. UNCONFIRMED: whether confirming (Draft -> Open) is;
# it is here, as every other state entered.
BILLING_AGREEMENT = Kind(
    "BillingAgreement",
    BillingAgreement,
    BILLING_AGREEMENT_TRANSITIONS,
    initial=frozenset({B.DRAFT}),
    silent=frozenset({B.DRAFT}),
    notification="BillingAgreementNotification",
    extra=_status_updated,
)

#: The seller's administration of an order (sandbox-only): Amazon notifies nothing of it.
ADMINISTRATION = Kind(
    "OrderAdministration",
    OrderAdministration,
    ADMINISTRATION_TRANSITIONS,
    initial=frozenset({M.ACTIVE}),
    silent=frozenset(M),
    notification=None,
)

KINDS = (
    ORDER_REFERENCE,
    AUTHORIZATION,
    CAPTURE,
    REFUND,
    DISPUTE,
    BILLING_AGREEMENT,
    ADMINISTRATION,
)
