"""Amazon Pay API v2's request quotas, as a throttling table (``gateway.faults.throttling``),
and its answer to a throttled request: 429 ``TooManyRequests``.

[SRC: reference/amazon-pay-v2.md §7, developer.amazon.com/docs/amazon-pay-api-v2/
api-throttling-limits.html] A leaky bucket per seller and operation, "burst / restored per
second"; the sandbox's figures for a merchant throttled as the sandbox, the live ones for one
throttled as production. Get Buyer and Update Charge are not on the page: UNCONFIRMED, each given
the figures of its nearest listed kind (Get Charge's, Update Charge Permission's).
"""

from __future__ import annotations

from gateway.faults.throttling import PRODUCTION, SANDBOX, Quota, Refusal, ServiceQuotas
from gateway.v2.errors import TooManyRequests

#: (sandbox burst, sandbox restored per second, live burst, live restored per second).
_FIGURES: dict[str, tuple[int, int, int, int]] = {
    "CreateRefund": (2, 1, 10, 4),
    "GetRefund": (5, 1, 20, 4),
    "CreateCharge": (2, 1, 10, 4),
    "CaptureCharge": (2, 1, 20, 4),
    "CancelCharge": (2, 1, 10, 2),
    "CloseChargePermission": (2, 1, 10, 2),
    "GetCharge": (5, 1, 20, 4),
    "GetChargePermission": (10, 1, 20, 4),
    "UpdateChargePermission": (5, 1, 10, 2),
    "CreateCheckoutSession": (5, 1, 40, 16),
    "GetCheckoutSession": (10, 1, 40, 8),
    "UpdateCheckoutSession": (5, 1, 20, 8),
    "CompleteCheckoutSession": (2, 1, 20, 4),
    # UNCONFIRMED (not on Amazon's page): the figures of the nearest listed operation.
    "GetBuyer": (5, 1, 20, 4),
    "UpdateCharge": (5, 1, 10, 2),
}


def _refusal(refusal: Refusal) -> Exception:
    return TooManyRequests(
        f"The request was throttled: {refusal.operation} allows a burst of "
        f"{refusal.quota.burst}, one more every {refusal.quota.restore_seconds:g} s; retry in "
        f"{refusal.retry_after_seconds:g} s."
    )


V2_QUOTAS = ServiceQuotas(
    key="v2",
    tables={
        SANDBOX: {op: Quota.of(f[0], f[1], 1) for op, f in _FIGURES.items()},
        PRODUCTION: {op: Quota.of(f[2], f[3], 1) for op, f in _FIGURES.items()},
    },
    refuse=_refusal,
)
