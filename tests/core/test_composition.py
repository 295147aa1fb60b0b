"""What a runtime knows comes from ``gateway.composition``, never from what was imported first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.composition import build_registry

REPO = Path(__file__).resolve().parents[2]


def diagrams_after(first: str) -> str:
    """``python -m gateway.domain.diagrams``'s output in a new interpreter that ran ``first``."""
    code = (
        f"{first}\nimport runpy\nrunpy.run_module('gateway.domain.diagrams', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    return done.stdout


def test_the_diagrams_do_not_depend_on_import_order():
    alone = diagrams_after("pass")
    assert "FpsTransaction:" in alone and "Dispute:" in alone
    for first in ("import gateway.fps.ipn", "import gateway.worker.sweep"):
        assert diagrams_after(first) == alone, first


def test_the_full_registry():
    registry = build_registry()
    assert list(registry.kinds) == [
        "OrderReference",
        "Authorization",
        "Capture",
        "Refund",
        "Dispute",
        "BillingAgreement",
        "OrderAdministration",
        "FpsTransaction",
        "FpsToken",
        "V2CheckoutSession",
        "V2ChargePermission",
        "V2Charge",
        "V2Refund",
        "V2Dispute",
    ]
    assert list(registry.due) == [
        "Refund",
        "Authorization",
        "Capture",
        "OrderReference",
        "BillingAgreement",
        "OrderAdministration",
        "FpsTransaction",
        "V2Refund",
        "V2Charge",
        "V2CheckoutSession",
        "V2ChargePermission",
    ]
    assert len(registry.refund_outcome_hooks) == 1
    for notification_type in (
        "OrderReferenceNotification",
        "PaymentAuthorize",
        "PaymentCapture",
        "PaymentRefund",
        "Chargeback Detailed Notification",
        "BillingAgreementNotification",
        "TransactionStatus",
        "TokenCancellation",
        "CHARGE_PERMISSION",
        "CHARGE",
        "REFUND",
        "CHARGEBACK",
    ):
        assert registry.renderer(notification_type) is not None, notification_type
