"""Recurring payments, SetOrderAttributes, ListOrderReference and GetMerchantAccountStatus
through the official ``amazon_pay`` SDK, unchanged, against a real ``gateway serve``.

The buyer's side (consent, address, payment method) is the sandbox API's, as Amazon's widgets
would set it. A month passes by moving the merchant's clock; IPNs arrive at a real receiver on
loopback and their signatures are checked independently of the gateway's code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from sqlalchemy.orm import Session

from clients.ipn import IpnVerifier
from gateway.composition import build_registry
from gateway.domain import billing_agreements as agreements
from gateway.domain.lifecycle import Context
from gateway.domain.merchants import now_for
from gateway.ids import IdGenerator
from gateway.store import merchants
from gateway.store.db import Database
from tests.support.servers import GatewayServer
from tests.support.sink import Received, Sink, envelope, message, verify_sns

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]

IPN_NS = "{https://mws.amazonservices.com/ipn/OffAmazonPayments/2013-01-01}"
MONTH = 31 * 24 * 3600


def sim(**directive: Any) -> str:
    return json.dumps({"SandboxSimulation": directive})


def result(response: Any) -> dict[str, Any]:
    """The ``<Op>Result`` of a successful answer."""
    assert response.success, response.to_xml()
    (root,) = response.to_dict().values()
    found: dict[str, Any] = next(v for k, v in root.items() if k.endswith("Result")) or {}
    return found


def error_code(response: Any) -> str:
    assert not response.success, response.to_xml()
    code: str = response.to_dict()["ErrorResponse"]["Error"]["Code"]
    return code


class Subscriptions:
    """One merchant's recurring payments: its SDK client and the sandbox API for its buyers."""

    def __init__(self, server: GatewayServer, **settings: Any) -> None:
        self.server = server
        self.merchant = server.new_merchant(store_name="boxes", **settings)
        self.seller_id = self.merchant["seller_id"]
        self.client = server.sdk(self.merchant)
        self.refs = 0

    def ref(self, prefix: str) -> str:
        self.refs += 1
        return f"{prefix}-{self.refs}"

    def buyer_agrees(self, **body: Any) -> str:
        made = self.server.sandbox(
            "POST", f"/merchants/{self.seller_id}/billing-agreements", status=201, **body
        )
        agreement: str = made["amazon_billing_agreement_id"]
        return agreement

    def buyer(self, agreement: str, method: str, path: str = "", **body: Any) -> Any:
        return self.server.sandbox(
            method, f"/merchants/{self.seller_id}/billing-agreements/{agreement}{path}", **body
        )

    def details(self, agreement: str) -> dict[str, Any]:
        answer = self.client.get_billing_agreement_details(amazon_billing_agreement_id=agreement)
        found: dict[str, Any] = result(answer)["BillingAgreementDetails"]
        return found

    def status(self, agreement: str) -> tuple[str, str | None]:
        status = self.details(agreement)["BillingAgreementStatus"]
        return status["State"], status.get("ReasonCode")

    def opened(self, **body: Any) -> str:
        agreement = self.buyer_agrees(**body)
        assert self.client.confirm_billing_agreement(amazon_billing_agreement_id=agreement).success
        return agreement

    def charge(self, agreement: str, amount: str, **kw: Any) -> Any:
        return self.client.authorize_on_billing_agreement(
            amazon_billing_agreement_id=agreement,
            authorization_reference_id=kw.pop("ref", None) or self.ref("monthly"),
            authorization_amount=amount,
            transaction_timeout=kw.pop("transaction_timeout", 0),
            **kw,
        )

    def advance(self, seconds: float) -> None:
        self.server.advance_clock(self.seller_id, seconds)


@pytest.fixture
def shop(live_server: GatewayServer) -> Subscriptions:
    return Subscriptions(live_server)


# --- a subscription's life -----------------------------------------------------------------------


def notification_data(received: Received) -> ElementTree.Element:
    return ElementTree.fromstring(message(received.body)["NotificationData"].encode("utf-8"))


def agreement_event(agreement: str, state: str) -> Callable[[Received], bool]:
    def match(received: Received) -> bool:
        inner = message(received.body)
        if inner["NotificationType"] != "BillingAgreementNotification":
            return False
        root = notification_data(received)
        found = root.find(f"{IPN_NS}BillingAgreement/{IPN_NS}BillingAgreementStatus/{IPN_NS}State")
        return agreement in inner["NotificationData"] and found is not None and found.text == state

    return match


def of_type(notification_type: str, object_id: str) -> Callable[[Received], bool]:
    def match(received: Received) -> bool:
        inner = message(received.body)
        return (
            inner["NotificationType"] == notification_type
            and object_id in inner["NotificationData"]
        )

    return match


def arrived(
    receiver: Sink, predicate: Callable[[Received], bool], timeout: float = 15.0
) -> Received:
    """The first notification ``predicate`` accepts, whenever it came (none is passed over)."""
    deadline = time.monotonic() + timeout
    looked = 0
    while True:
        for item in receiver.received[looked:]:
            if predicate(item):
                return item
        looked = len(receiver.received)
        if not receiver.wait_for(looked + 1, max(deadline - time.monotonic(), 0.01)):
            raise AssertionError(f"no such notification within {timeout}s")


def verified(received: Received) -> dict[str, Any]:
    """The signed envelope checked by ``cryptography`` with the certificate at SigningCertURL,
    and by the client toolkit's verifier; the inner message."""
    sns = envelope(received.body)
    certificate = requests.get(sns["SigningCertURL"], timeout=10).content
    verify_sns(sns, certificate)
    return message(received.body)


def test_consent_confirm_validate_charge_monthly_capture_refund_close(
    live_server_with_scheduler: GatewayServer, receiver: Sink
) -> None:
    server = live_server_with_scheduler
    shop = Subscriptions(server, ipn_url=receiver.url)
    client = shop.client
    agreement = shop.buyer_agrees(consent=False)
    assert agreement.startswith("C01-")

    draft = shop.details(agreement)
    assert draft["BillingAgreementStatus"]["State"] == "Draft"
    assert draft["Constraints"]["Constraint"]["ConstraintID"] == "BuyerConsentNotSet"
    assert draft["BillingAgreementConsent"] == "false"
    refused = client.confirm_billing_agreement(amazon_billing_agreement_id=agreement)
    assert error_code(refused) == "BillingAgreementConstraintsExist"

    shop.buyer(agreement, "PATCH", consent=True)
    set_answer = client.set_billing_agreement_details(
        amazon_billing_agreement_id=agreement,
        seller_note="The monthly box",
        seller_billing_agreement_id="sub-42",
        store_name="Box Co",
        custom_information="plan=basic",
    )
    attributes = result(set_answer)["BillingAgreementDetails"]["SellerBillingAgreementAttributes"]
    assert attributes == {
        "SellerBillingAgreementId": "sub-42",
        "StoreName": "Box Co",
        "CustomInformation": "plan=basic",
    }
    assert result(client.confirm_billing_agreement(amazon_billing_agreement_id=agreement)) == {}
    validation = result(client.validate_billing_agreement(amazon_billing_agreement_id=agreement))
    assert validation["ValidationResult"] == "Success"
    assert validation["BillingAgreementStatus"]["State"] == "Open"
    opened = shop.details(agreement)
    assert opened["Buyer"]["Email"] == "buyer@example.com"
    limits = opened["BillingAgreementLimits"]
    assert limits["AmountLimitPerTimePeriod"] == {"Amount": "500.00", "CurrencyCode": "USD"}

    # The first month: authorize, capture, refund part of it.
    first = result(shop.charge(agreement, "30.00", seller_order_id="box-1"))
    auth = first["AuthorizationDetails"]
    assert auth["AuthorizationStatus"]["State"] == "Open"
    order_id = first["AmazonOrderReferenceId"]
    order = result(client.get_order_reference_details(order_id))["OrderReferenceDetails"]
    assert order["ParentDetails"] == {"Id": agreement, "Type": "BillingAgreement"}
    assert order["OrderReferenceStatus"]["State"] == "Open"
    capture = result(
        client.capture(
            amazon_authorization_id=auth["AmazonAuthorizationId"],
            capture_reference_id=shop.ref("cap"),
            capture_amount="30.00",
        )
    )["CaptureDetails"]
    assert capture["CaptureStatus"]["State"] == "Completed"
    refund = result(
        client.refund(
            amazon_capture_id=capture["AmazonCaptureId"],
            refund_reference_id=shop.ref("refund"),
            refund_amount="5.00",
        )
    )["RefundDetails"]
    assert refund["RefundStatus"]["State"] == "Pending"
    shop.advance(10)
    settled = result(client.get_refund_details(refund["AmazonRefundId"]))["RefundDetails"]
    assert settled["RefundStatus"]["State"] == "Completed"
    remaining = shop.details(agreement)["BillingAgreementLimits"]["CurrentRemainingBalance"]
    assert remaining["Amount"] == "470.00"

    # A month later: the limit is whole again, and the second charge is captured at once.
    shop.advance(MONTH)
    fresh = shop.details(agreement)["BillingAgreementLimits"]
    assert fresh["CurrentRemainingBalance"]["Amount"] == "500.00"
    assert fresh["TimePeriodStartDate"] > limits["TimePeriodStartDate"]
    second = result(shop.charge(agreement, "30.00", capture_now=True, seller_order_id="box-2"))
    second_auth = second["AuthorizationDetails"]
    assert second["AmazonOrderReferenceId"] != order_id
    assert (second_auth["AuthorizationStatus"]["State"], second_auth["CaptureNow"]) == (
        "Closed",
        "true",
    )
    second_capture = second_auth["IdList"]["member"]
    assert (
        result(client.get_capture_details(second_capture))["CaptureDetails"]["CaptureStatus"][
            "State"
        ]
        == "Completed"
    )

    assert (
        result(
            client.close_billing_agreement(
                amazon_billing_agreement_id=agreement, closure_reason="Subscription ended"
            )
        )
        == {}
    )
    assert shop.status(agreement) == ("Closed", "SellerClosed")
    late = shop.charge(agreement, "1.00")
    assert error_code(late) == "InvalidBillingAgreementStatus"

    # The notifications, each signed.
    for state in ("Open", "Closed"):
        inner = verified(arrived(receiver, agreement_event(agreement, state)))
        assert inner["EventType"] == "BillingAgreementStatusUpdated"
        assert (inner["SellerId"], inner["ReleaseEnvironment"]) == (shop.seller_id, "Sandbox")
    for notification_type, object_id in (
        ("PaymentAuthorize", auth["AmazonAuthorizationId"]),
        ("PaymentCapture", capture["AmazonCaptureId"]),
        ("PaymentRefund", refund["AmazonRefundId"]),
        ("PaymentCapture", second_capture),
    ):
        verified(arrived(receiver, of_type(notification_type, object_id)))


def test_the_closed_agreements_notification_is_amazons_shape(
    live_server_with_scheduler: GatewayServer, receiver: Sink
) -> None:
    shop = Subscriptions(live_server_with_scheduler, ipn_url=receiver.url)
    agreement = shop.opened()
    confirmed = shop.client.set_billing_agreement_details(
        amazon_billing_agreement_id=agreement, seller_note="too late"
    )
    assert error_code(confirmed) == "BillingAgreementNotModifiable"
    shop.client.close_billing_agreement(
        amazon_billing_agreement_id=agreement, closure_reason="Closing BA for Test"
    )
    received = arrived(receiver, agreement_event(agreement, "Closed"))
    # The project's own verifier accepts it too (certificates from the simulator's host).
    notice = IpnVerifier(allowed_cert_hosts=[live_server_with_scheduler.url]).verify(
        received.body, received.headers
    )
    assert notice.notification_type == "BillingAgreementNotification"
    assert notice.message["EventType"] == "BillingAgreementStatusUpdated"
    root = notification_data(received)
    assert root.tag == IPN_NS + "BillingAgreementNotification"
    body = root.find(IPN_NS + "BillingAgreement")
    assert body is not None
    assert [child.tag.replace(IPN_NS, "") for child in body] == [
        "AmazonBillingAgreementId",
        "SellerBillingAgreementAttributes",
        "BillingAgreementStatus",
        "CreationTimestamp",
        "BillingAgreementLimits",
        "BillingAgreementConsent",
    ]
    status_element = body.find(IPN_NS + "BillingAgreementStatus")
    assert status_element is not None
    status = {c.tag.replace(IPN_NS, ""): c.text for c in status_element}
    assert status["State"] == "Closed"
    assert status["ReasonCode"] == "SellerClosed"
    assert status["ReasonDescription"] == "Closing BA for Test"
    assert "LastUpdateTimestamp" in status
    assert body.findtext(f"{IPN_NS}SellerBillingAgreementAttributes/{IPN_NS}SellerId") == (
        shop.seller_id
    )
    assert (
        body.findtext(
            f"{IPN_NS}BillingAgreementLimits/{IPN_NS}AmountLimitPerTimePeriod/{IPN_NS}Amount"
        )
        == "500.0"
    )


def test_the_sdks_charge_on_a_billing_agreement(shop: Subscriptions) -> None:
    """``charge()`` tells an agreement by its first letter, sets and confirms a Draft one, and
    authorizes with CaptureNow."""
    agreement = shop.buyer_agrees()
    answer = shop.client.charge(
        amazon_reference_id=agreement,
        charge_amount="12.00",
        authorize_reference_id=shop.ref("charge"),
        charge_note="first box",
        charge_order_id="box-9",
    )
    details = result(answer)["AuthorizationDetails"]
    assert details["AuthorizationStatus"]["ReasonCode"] == "MaxCapturesProcessed"
    assert details["CapturedAmount"]["Amount"] == "12.00"
    agreement_details = shop.details(agreement)
    assert agreement_details["BillingAgreementStatus"]["State"] == "Open"
    assert agreement_details["SellerNote"] == "first box"


# --- constraints, states and simulations -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "constraint"),
    [
        ({"consent": False}, "BuyerConsentNotSet"),
        ({"payment_method": None}, "PaymentPlanNotSet"),
        ({"destination": None}, "ShippingAddressNotSet"),
    ],
)
def test_each_constraint(shop: Subscriptions, body: dict[str, Any], constraint: str) -> None:
    agreement = shop.buyer_agrees(**body)
    found = shop.details(agreement)["Constraints"]["Constraint"]
    assert found["ConstraintID"] == constraint
    answer = shop.client.confirm_billing_agreement(amazon_billing_agreement_id=agreement)
    assert error_code(answer) == "BillingAgreementConstraintsExist"
    assert error_code(shop.charge(agreement, "1.00")) == "InvalidBillingAgreementStatus"


def test_a_declined_payment_method_suspends_until_the_buyer_updates_it(
    shop: Subscriptions,
) -> None:
    agreement = shop.opened()
    declined = result(
        shop.charge(
            agreement,
            "20.00",
            seller_authorization_note=sim(
                State="Declined", ReasonCode="InvalidPaymentMethod", PaymentMethodUpdateTimeInMins=5
            ),
        )
    )["AuthorizationDetails"]
    assert declined["AuthorizationStatus"]["State"] == "Declined"
    assert shop.status(agreement) == ("Suspended", "InvalidPaymentMethod")
    validation = result(
        shop.client.validate_billing_agreement(amazon_billing_agreement_id=agreement)
    )
    assert (validation["ValidationResult"], validation["FailureReasonCode"]) == (
        "Failure",
        "InvalidPaymentMethod",
    )
    assert error_code(shop.charge(agreement, "20.00")) == "InvalidBillingAgreementStatus"
    shop.advance(5 * 60)
    assert shop.status(agreement) == ("Open", None)
    assert (
        result(shop.charge(agreement, "20.00"))["AuthorizationDetails"]["AuthorizationStatus"][
            "State"
        ]
        == "Open"
    )


def test_an_expired_card_and_the_buyers_new_one(shop: Subscriptions) -> None:
    agreement = shop.opened()
    shop.buyer(agreement, "POST", "/payment-method-problem", constraint="PaymentMethodExpired")
    assert shop.status(agreement) == ("Suspended", "InvalidPaymentMethod")
    assert shop.details(agreement)["Constraints"]["Constraint"]["ConstraintID"] == (
        "PaymentMethodExpired"
    )
    shop.buyer(agreement, "PATCH", payment_method={"name": "Amex", "account_number_tail": "0005"})
    assert shop.client.confirm_billing_agreement(amazon_billing_agreement_id=agreement).success
    assert shop.status(agreement) == ("Open", None)


@pytest.mark.parametrize(
    ("closure_reason", "reason_code"),
    [(sim(State="Closed", ReasonCode="AmazonClosed"), "AmazonClosed"), ("bye", "SellerClosed")],
)
def test_closing(shop: Subscriptions, closure_reason: str, reason_code: str) -> None:
    agreement = shop.opened()
    assert shop.client.close_billing_agreement(
        amazon_billing_agreement_id=agreement, closure_reason=closure_reason
    ).success
    assert shop.status(agreement) == ("Closed", reason_code)


def test_the_buyer_cancels(shop: Subscriptions) -> None:
    agreement = shop.opened()
    shop.buyer(agreement, "POST", "/cancel")
    assert shop.status(agreement) == ("Closed", "BuyerCanceled")


def test_the_monthly_limit(shop: Subscriptions) -> None:
    agreement = shop.opened(monthly_limit="100.00")
    assert shop.charge(agreement, "80.00").success
    assert error_code(shop.charge(agreement, "20.01")) == "PeriodicAmountExceeded"
    shop.advance(MONTH)
    assert shop.charge(agreement, "100.00").success


def test_errors_of_the_agreement_operations(shop: Subscriptions) -> None:
    client = shop.client
    unknown = client.get_billing_agreement_details(
        amazon_billing_agreement_id="C01-0000000-0000000"
    )
    assert error_code(unknown) == "InvalidBillingAgreementId"
    agreement = shop.buyer_agrees()
    assert error_code(client.close_billing_agreement(amazon_billing_agreement_id=agreement)) == (
        "InvalidBillingAgreementStatus"
    )
    assert error_code(client.validate_billing_agreement(amazon_billing_agreement_id=agreement)) == (
        "InvalidBillingAgreementStatus"
    )
    bad_simulation = client.close_billing_agreement(
        amazon_billing_agreement_id=shop.opened(), closure_reason=sim(State="Open")
    )
    assert error_code(bad_simulation) == "InvalidSandboxSimulationSpecified"


def test_create_order_reference_for_id(shop: Subscriptions) -> None:
    agreement = shop.opened()
    answer = shop.client.create_order_reference_for_id(
        object_id=agreement,
        object_id_type="BillingAgreement",
        order_total="9.99",
        confirm_now=True,
        seller_note="April",
        seller_order_id="apr",
        supplementary_data='{"plan": "basic"}',
    )
    order = result(answer)["OrderReferenceDetails"]
    assert order["OrderReferenceStatus"]["State"] == "Open"
    assert order["ParentDetails"] == {"Id": agreement, "Type": "BillingAgreement"}
    assert order["SellerOrderAttributes"]["SupplementaryData"] == '{"plan": "basic"}'
    authorized = shop.client.authorize(
        amazon_order_reference_id=order["AmazonOrderReferenceId"],
        authorization_reference_id=shop.ref("apr"),
        authorization_amount="9.99",
        transaction_timeout=0,
    )
    assert result(authorized)["AuthorizationDetails"]["AuthorizationStatus"]["State"] == "Open"
    wrong = shop.client.create_order_reference_for_id(
        object_id=agreement, object_id_type="Wrong", order_total="1.00"
    )
    assert error_code(wrong) == "InvalidParameterValue"


# --- SetOrderAttributes, ListOrderReference, GetMerchantAccountStatus -------------------------------


def test_set_order_attributes(shop: Subscriptions) -> None:
    order_id = shop.server.new_order(shop.seller_id)
    answer = shop.client.set_order_attributes(
        amazon_order_reference_id=order_id,
        currency_code="USD",
        amount="15.00",
        seller_order_id="attr-1",
        store_name="Attr Store",
        payment_service_provider_id="psp",
        payment_service_provider_order_id="psp-1",
        request_payment_authorization="true",
        list_order_item_categories=["Antiques", "Apparel"],
        custom_information="x",
    )
    order = result(answer)["OrderReferenceDetails"]
    assert order["OrderTotal"] == {"CurrencyCode": "USD", "Amount": "15.00"}
    assert order["SellerOrderAttributes"]["OrderItemCategories"]["OrderItemCategory"] == [
        "Antiques",
        "Apparel",
    ]
    assert order["PaymentServiceProviderAttributes"] == {
        "PaymentServiceProviderId": "psp",
        "PaymentServiceProviderOrderId": "psp-1",
    }
    assert order["RequestPaymentAuthorization"] == "true"
    constrained = shop.client.set_order_attributes(
        amazon_order_reference_id=order_id, seller_note=sim(Constraint="PaymentMethodNotAllowed")
    )
    assert (
        result(constrained)["OrderReferenceDetails"]["Constraints"]["Constraint"]["ConstraintID"]
        == "PaymentMethodNotAllowed"
    )
    refused = shop.client.confirm_order_reference(amazon_order_reference_id=order_id)
    assert error_code(refused) == "ConstraintsExist"
    shop.client.set_order_attributes(amazon_order_reference_id=order_id, seller_note="ok now")
    assert shop.client.confirm_order_reference(amazon_order_reference_id=order_id).success
    late = shop.client.set_order_attributes(
        amazon_order_reference_id=order_id, amount="16.00", currency_code="USD"
    )
    assert error_code(late) == "OrderReferenceNotModifiable"


def orders_on(server: GatewayServer, seller_id: str, agreement: str, count: int) -> list[str]:
    """``count`` order references on ``agreement`` (every fifth confirmed), made in this process
    on the server's database in one transaction, with the domain functions its requests use:
    250 signed requests would take seconds."""
    database = Database(server.database_url or "")

    def make(session: Session) -> list[str]:
        merchant = merchants.by_seller_id(session, seller_id)
        assert merchant is not None
        now = now_for(merchant, datetime.now(UTC))
        ctx = Context(session, merchant, now, IdGenerator(), build_registry())
        order = agreements.OrderAttributes(seller_order_id="monthly-box")
        return [
            agreements.create_order_reference_for_id(
                ctx, agreement, "BillingAgreement", "1.00", "USD", order, confirm_now=n % 5 == 0
            ).amazon_id
            for n in range(count)
        ]

    try:
        return database.run(make)
    finally:
        database.dispose()


def test_list_order_reference_pages_through_250_orders(live_server: GatewayServer) -> None:
    shop = Subscriptions(live_server)
    agreement = shop.opened()
    made = orders_on(live_server, shop.seller_id, agreement, 250)
    # list_order_reference sends the PaymentDomain of the client's region, and knows no "us".
    with pytest.raises(ValueError, match="region code"):
        shop.client.list_order_reference(query_id="monthly-box", query_id_type="SellerOrderId")
    client = live_server.sdk(shop.merchant, region="na")

    def every_page(first: Any) -> list[list[str]]:
        pages, page = [], result(first)
        while True:
            orders = page["OrderReferenceList"]["OrderReference"]
            pages.append([o["AmazonOrderReferenceId"] for o in orders])
            if "NextPageToken" not in page:
                return pages
            token = page["NextPageToken"]
            page = result(client.list_order_reference_by_next_token(next_page_token=token))

    newest_first = every_page(
        client.list_order_reference(
            query_id="monthly-box", query_id_type="SellerOrderId", page_size=100
        )
    )
    assert [len(p) for p in newest_first] == [100, 100, 50]
    assert [order for p in newest_first for order in p] == made[::-1]

    open_ones = every_page(
        client.list_order_reference(
            query_id="monthly-box",
            query_id_type="SellerOrderId",
            sort_order="Ascending",
            page_size=20,
            order_reference_status_list_filter=["Open"],
        )
    )
    assert [len(p) for p in open_ones] == [20, 20, 10]
    assert [order for p in open_ones for order in p] == made[::5]

    nothing = result(
        client.list_order_reference(
            query_id="monthly-box",
            query_id_type="SellerOrderId",
            created_time_range_start="2001-01-01",
            created_time_range_end="2001-01-31",
        )
    )
    assert nothing["OrderReferenceList"] is None
    wrong = client.list_order_reference(
        query_id="monthly-box", query_id_type="AmazonOrderReferenceId"
    )
    assert error_code(wrong) == "InvalidParameterValue"


def test_get_merchant_account_status(shop: Subscriptions) -> None:
    answer = shop.client.get_merchant_account_status()
    assert result(answer) == {"AccountStatus": "ACTIVE"}


# --- the one method that is not ours ---------------------------------------------------------------


class _Called(Exception):
    """Raised instead of a network call, carrying where it went."""


def test_get_login_profile_goes_to_login_with_amazon_whatever_the_endpoint(monkeypatch) -> None:
    """docs/limitations.md: the SDK builds Login with Amazon's address inside the method, from its
    own table of regions, so no setting of the client reaches it (the simulator serves none)."""
    from amazon_pay import login_with_amazon
    from amazon_pay.client import AmazonPayClient

    def called(url: str, **_: Any) -> None:
        raise _Called(url)

    monkeypatch.setattr(login_with_amazon.requests, "get", called)
    client = AmazonPayClient(
        mws_access_key="AKIA",
        mws_secret_key="secret",
        merchant_id="A1",
        region="us",
        currency_code="USD",
        sandbox=True,
    )
    client._mws_endpoint = "http://127.0.0.1:8080/OffAmazonPayments_Sandbox/2013-01-01"
    with pytest.raises(_Called) as went:
        client.get_login_profile(access_token="Atza|token", client_id="amzn1.application")
    assert str(went.value) == "https://api.sandbox.amazon.com/auth/o2/tokeninfo"
