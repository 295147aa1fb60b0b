"""In-process helpers for billing agreements: the buyer's side through the sandbox API, the
seller's calls signed like the official SDK (``tests.helpers.SignedApi``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from gateway.runtime import Runtime
from gateway.store.models import Notification
from tests.helpers import Answer, MerchantCredentials, SignedApi

DETAILS = "GetBillingAgreementDetailsResult/BillingAgreementDetails/"
ON_AGREEMENT = "AuthorizeOnBillingAgreementResult/"


def sim(**directive: Any) -> str:
    return json.dumps({"SandboxSimulation": directive})


class Agreements:
    """One merchant's billing agreements, in process."""

    def __init__(self, api: SignedApi, merchant: MerchantCredentials, runtime: Runtime) -> None:
        self.api, self.runtime = api, runtime
        self.base = f"/sandbox/api/v1/merchants/{merchant.seller_id}/billing-agreements"
        self.refs = 0

    def ref(self, prefix: str = "ref") -> str:
        self.refs += 1
        return f"{prefix}-{self.refs}"

    # --- the buyer (sandbox API) ------------------------------------------------------------------

    def control(self, method: str, path: str = "", status: int = 200, **body: Any) -> Any:
        response = self.api.client.open(self.base + path, method=method, json=body)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def new(self, **body: Any) -> str:
        made: str = self.control("POST", status=201, **body)["amazon_billing_agreement_id"]
        return made

    def opened(self, **body: Any) -> str:
        agreement = self.new(**body)
        self.api.ok("ConfirmBillingAgreement", AmazonBillingAgreementId=agreement)
        return agreement

    # --- the seller -------------------------------------------------------------------------------

    def details(self, agreement: str) -> Answer:
        return self.api.ok("GetBillingAgreementDetails", AmazonBillingAgreementId=agreement)

    def state(self, agreement: str) -> tuple[str | None, str | None]:
        answer = self.details(agreement)
        status = DETAILS + "BillingAgreementStatus/"
        return answer.find(status + "State"), answer.find(status + "ReasonCode")

    def remaining(self, agreement: str) -> str | None:
        answer = self.details(agreement)
        return answer.find(DETAILS + "BillingAgreementLimits/CurrentRemainingBalance/Amount")

    def authorize(self, agreement: str, amount: str, **extra: str) -> Answer:
        params = {
            "AmazonBillingAgreementId": agreement,
            "AuthorizationReferenceId": extra.pop("ref", None) or self.ref("auth"),
            "AuthorizationAmount.Amount": amount,
            "AuthorizationAmount.CurrencyCode": extra.pop("currency", "USD"),
            "TransactionTimeout": extra.pop("timeout", "0"),
            **extra,
        }
        return self.api.call("AuthorizeOnBillingAgreement", **params)

    def notifications(self, agreement: str) -> list[tuple[str, str | None, str | None]]:
        """``(state, reason, EventType)`` of the agreement's outbox rows, in order."""

        def read(session: Any) -> list[tuple[str, str | None, str | None]]:
            rows = session.scalars(
                select(Notification)
                .where(Notification.object_id == agreement)
                .order_by(Notification.id)
            )
            return [(r.state, r.reason_code, r.extra.get("EventType")) for r in rows]

        return self.runtime.db.run(read, write=False)


@pytest.fixture
def agreements(api: SignedApi, merchant: MerchantCredentials, runtime: Runtime) -> Agreements:
    return Agreements(api, merchant, runtime)
