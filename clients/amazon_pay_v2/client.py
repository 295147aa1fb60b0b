"""A typed client for Amazon Pay API v2: one method per operation of reference/amazon-pay-v2.md §1,
signed with :mod:`clients.amazon_pay_v2.signing`, against Amazon or a simulator.

Where a request goes (§1; as the Node SDK's ``prepareOptions``): ``https://pay-api.amazon.{com,eu,jp}``
by region, or ``endpoint`` (any base URL, ``http://127.0.0.1:8080`` for a local simulator); then
``/v2/`` when the public key id starts with ``SANDBOX-`` or ``LIVE-`` (the key names its
environment), else ``/sandbox/v2/`` or ``/live/v2/``.

Every header sent is signed, as the Node SDK does. Create calls and Capture carry an
``x-amz-pay-idempotency-key`` (a fresh uuid4 hex unless given), the same on every retry, so a
retried create answers the first result instead of creating twice. 408, 425, 429 and 5xx answers
are retried with exponential back-off (the Node SDK's list, §9), each attempt signed afresh.
Answers are the decoded JSON (typed by :mod:`clients.amazon_pay_v2.objects`); error answers
raise :class:`clients.errors.AmazonPayV2Error`. Imports neither ``gateway`` nor Flask.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

import requests

from clients.amazon_pay_v2 import signing
from clients.amazon_pay_v2.objects import (
    Buyer,
    Charge,
    ChargePermission,
    CheckoutSession,
    Refund,
)
from clients.errors import AmazonPayV2Error
from clients.params import Amount, format_amount
from clients.sigv2 import signing_host
from clients.transport import Clock, RetryPolicy, utc_now

if TYPE_CHECKING:
    from clients.amazon_pay_v2.signing import PrivateKeyLike

T = TypeVar("T")

#: Amazon's API hosts by region (Node constants.js ``API_ENDPOINTS``).
API_HOSTS: Mapping[str, str] = {
    "na": "pay-api.amazon.com",
    "eu": "pay-api.amazon.eu",
    "jp": "pay-api.amazon.jp",
}
#: Region names the SDKs accept, and the region each means (Node ``REGION_MAP``).
REGIONS: Mapping[str, str] = {
    "na": "na",
    "us": "na",
    "eu": "eu",
    "de": "eu",
    "uk": "eu",
    "jp": "jp",
}
#: Public key id prefixes that name the environment, so the path has no sandbox/live segment.
ENVIRONMENT_KEY_PREFIXES = ("SANDBOX-", "LIVE-")

#: Statuses worth another attempt (the Node SDK's ``retryLogic``: 408, 425, 429 and >= 500).
RETRY_STATUSES = frozenset({408, 425, 429, *range(500, 600)})
#: The default: three retries after 1, 2 and 4 seconds (the Node SDK waits 2, 4, 8).
DEFAULT_RETRIES = RetryPolicy(max_attempts=4, base_delay=1.0, retry_statuses=RETRY_STATUSES)

USER_AGENT = "amazon-pay-gateway-simulator-clients/0.1 (Python)"


def price(amount: Amount, currency_code: str) -> dict[str, str]:
    """A v2 ``{"amount", "currencyCode"}`` object (amounts as Decimal, str or int, never float)."""
    return {"amount": format_amount(amount), "currencyCode": currency_code}


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that were given (``None`` means not sent)."""
    return {name: value for name, value in fields.items() if value is not None}


class AmazonPayV2Client:
    """Signed Amazon Pay API v2 client for one public key id.

    :param public_key_id: the key id Seller Central (or the simulator) gave for the public key.
    :param private_key: the RSA private key: PEM text or bytes, a PEM file's path, or a key.
    :param region: ``na`` (also ``us``), ``eu`` (``de``, ``uk``) or ``jp``.
    :param sandbox: ``/sandbox/v2/`` rather than ``/live/v2/`` (ignored for ``SANDBOX-``/``LIVE-`` keys).
    :param endpoint: a base URL replacing Amazon's host, e.g. ``http://127.0.0.1:8080`` or
        ``https://127.0.0.1:8443`` (a path in it is kept as a prefix).
    :param verify: ``requests``' TLS verification: ``True``, ``False`` or a CA bundle path (the
        simulator's certificate, for ``https://`` on it).
    :param algorithm: ``AMZN-PAY-RSASSA-PSS`` (salt 20, default) or ``AMZN-PAY-RSASSA-PSS-V2``.
    :param retries: retry policy (its ``sleep`` is injectable); :data:`clients.NO_RETRIES` for none.
    :param clock: the source of ``x-amz-pay-date``.
    """

    def __init__(
        self,
        public_key_id: str,
        private_key: PrivateKeyLike,
        *,
        region: str = "na",
        sandbox: bool = True,
        endpoint: str | None = None,
        verify: bool | str = True,
        algorithm: str = signing.DEFAULT_ALGORITHM,
        session: requests.Session | None = None,
        timeout: float = 30,
        retries: RetryPolicy = DEFAULT_RETRIES,
        clock: Clock | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        if region.lower() not in REGIONS:
            raise ValueError(f"unknown region {region!r}: one of {', '.join(REGIONS)}")
        if algorithm not in signing.ALGORITHMS:
            raise ValueError(
                f"unknown algorithm {algorithm!r}: one of {', '.join(signing.ALGORITHMS)}"
            )
        self.public_key_id = public_key_id
        self.region = REGIONS[region.lower()]
        self.algorithm = algorithm
        self._private_key = signing.load_private_key(private_key)
        base = (endpoint or f"https://{API_HOSTS[self.region]}").rstrip("/")
        if "://" not in base:
            raise ValueError(f"endpoint {endpoint!r} needs a scheme (http:// or https://)")
        parts = urlsplit(base)
        self.base_url = base
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.host = signing_host(base)
        environment = public_key_id.upper().startswith(ENVIRONMENT_KEY_PREFIXES)
        segment = "" if environment else ("sandbox/" if sandbox else "live/")
        self.path_prefix = f"{parts.path}/{segment}v2/"
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.verify = verify
        self.timeout = timeout
        self.retries = retries
        self.clock = clock or utc_now
        self.user_agent = user_agent

    # --- Checkout Session ----------------------------------------------------------------------

    def create_checkout_session(
        self,
        payload: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> CheckoutSession:
        """``POST checkoutSessions`` (``webCheckoutDetails``, ``storeId``, ``paymentDetails`` ...)."""
        return self._send(
            CheckoutSession, "POST", "checkoutSessions", payload,
            idempotency_key=self._idempotency(idempotency_key), simulation_code=simulation_code,
        )  # fmt: skip

    def get_checkout_session(self, checkout_session_id: str) -> CheckoutSession:
        """``GET checkoutSessions/{id}``."""
        return self._send(CheckoutSession, "GET", f"checkoutSessions/{_id(checkout_session_id)}")

    def update_checkout_session(
        self, checkout_session_id: str, payload: Mapping[str, Any]
    ) -> CheckoutSession:
        """``PATCH checkoutSessions/{id}`` (``webCheckoutDetails``, ``paymentDetails``, ``merchantMetadata``)."""
        path = f"checkoutSessions/{_id(checkout_session_id)}"
        return self._send(CheckoutSession, "PATCH", path, payload)

    def complete_checkout_session(
        self,
        checkout_session_id: str,
        amount: Amount,
        currency_code: str,
        *,
        total_order_amount: Amount | None = None,
        simulation_code: str | None = None,
    ) -> CheckoutSession:
        """``POST checkoutSessions/{id}/complete`` with the ``chargeAmount`` the buyer saw (and
        ``totalOrderAmount`` when the order is charged in parts)."""
        path = f"checkoutSessions/{_id(checkout_session_id)}/complete"
        payload = {"chargeAmount": price(amount, currency_code)}
        if total_order_amount is not None:
            payload["totalOrderAmount"] = price(total_order_amount, currency_code)
        return self._send(CheckoutSession, "POST", path, payload, simulation_code=simulation_code)

    # --- Charge Permission ---------------------------------------------------------------------

    def get_charge_permission(self, charge_permission_id: str) -> ChargePermission:
        """``GET chargePermissions/{id}``."""
        path = f"chargePermissions/{_id(charge_permission_id)}"
        return self._send(ChargePermission, "GET", path)

    def update_charge_permission(
        self, charge_permission_id: str, payload: Mapping[str, Any]
    ) -> ChargePermission:
        """``PATCH chargePermissions/{id}`` (``merchantMetadata``)."""
        path = f"chargePermissions/{_id(charge_permission_id)}"
        return self._send(ChargePermission, "PATCH", path, payload)

    def close_charge_permission(
        self,
        charge_permission_id: str,
        closure_reason: str | None = None,
        *,
        cancel_pending_charges: bool | None = None,
        simulation_code: str | None = None,
    ) -> ChargePermission:
        """``DELETE chargePermissions/{id}/close`` with ``closureReason``/``cancelPendingCharges``."""
        path = f"chargePermissions/{_id(charge_permission_id)}/close"
        payload = _given(closureReason=closure_reason, cancelPendingCharges=cancel_pending_charges)
        return self._send(
            ChargePermission, "DELETE", path, payload, simulation_code=simulation_code
        )

    # --- Charge --------------------------------------------------------------------------------

    def create_charge(
        self,
        charge_permission_id: str,
        amount: Amount,
        currency_code: str,
        *,
        capture_now: bool | None = None,
        soft_descriptor: str | None = None,
        can_handle_pending_authorization: bool | None = None,
        merchant_metadata: Mapping[str, Any] | None = None,
        provider_metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> Charge:
        """``POST charges``: authorize (and with ``capture_now``, capture) on a charge permission."""
        payload = _given(
            chargePermissionId=charge_permission_id,
            chargeAmount=price(amount, currency_code),
            captureNow=capture_now,
            softDescriptor=soft_descriptor,
            canHandlePendingAuthorization=can_handle_pending_authorization,
            merchantMetadata=merchant_metadata,
            providerMetadata=provider_metadata,
        )
        return self._send(
            Charge, "POST", "charges", payload,
            idempotency_key=self._idempotency(idempotency_key), simulation_code=simulation_code,
        )  # fmt: skip

    def get_charge(self, charge_id: str) -> Charge:
        """``GET charges/{id}``."""
        return self._send(Charge, "GET", f"charges/{_id(charge_id)}")

    def update_charge(self, charge_id: str, payload: Mapping[str, Any]) -> Charge:
        """``PATCH charges/{id}`` (``statusDetails``/``merchantMetadata``, where Amazon allows it)."""
        return self._send(Charge, "PATCH", f"charges/{_id(charge_id)}", payload)

    def capture_charge(
        self,
        charge_id: str,
        amount: Amount,
        currency_code: str,
        *,
        soft_descriptor: str | None = None,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> Charge:
        """``POST charges/{id}/capture`` of ``captureAmount``."""
        payload = _given(captureAmount=price(amount, currency_code), softDescriptor=soft_descriptor)
        return self._send(
            Charge, "POST", f"charges/{_id(charge_id)}/capture", payload,
            idempotency_key=self._idempotency(idempotency_key), simulation_code=simulation_code,
        )  # fmt: skip

    def cancel_charge(
        self,
        charge_id: str,
        cancellation_reason: str | None = None,
        *,
        simulation_code: str | None = None,
    ) -> Charge:
        """``DELETE charges/{id}/cancel`` with ``cancellationReason``."""
        payload = _given(cancellationReason=cancellation_reason)
        path = f"charges/{_id(charge_id)}/cancel"
        return self._send(Charge, "DELETE", path, payload, simulation_code=simulation_code)

    # --- Refund and Buyer ----------------------------------------------------------------------

    def create_refund(
        self,
        charge_id: str,
        amount: Amount,
        currency_code: str,
        *,
        soft_descriptor: str | None = None,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> Refund:
        """``POST refunds``: answered ``RefundInitiated``; Refunded or Declined come later (IPN)."""
        payload = _given(
            chargeId=charge_id,
            refundAmount=price(amount, currency_code),
            softDescriptor=soft_descriptor,
        )
        return self._send(
            Refund, "POST", "refunds", payload,
            idempotency_key=self._idempotency(idempotency_key), simulation_code=simulation_code,
        )  # fmt: skip

    def get_refund(self, refund_id: str) -> Refund:
        """``GET refunds/{id}``."""
        return self._send(Refund, "GET", f"refunds/{_id(refund_id)}")

    def get_buyer(self, buyer_token: str) -> Buyer:
        """``GET buyers/{buyerToken}`` (the token of the checkout's redirect)."""
        return self._send(Buyer, "GET", f"buyers/{_id(buyer_token)}")

    # --- the wire ------------------------------------------------------------------------------

    @staticmethod
    def _idempotency(given: str | None) -> str:
        return given if given is not None else uuid.uuid4().hex

    def signed_headers(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        query: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The headers of one attempt, all signed: what :meth:`request` sends (and a test can
        inspect). ``path`` is the full path, e.g. ``/sandbox/v2/refunds``."""
        headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "user-agent": self.user_agent,
            "x-amz-pay-date": signing.pay_date(self.clock()),
            "x-amz-pay-host": self.host,
            "x-amz-pay-region": self.region,
            **(extra or {}),
        }
        return signing.sign_request(
            self._private_key,
            self.public_key_id,
            method=method,
            path=path,
            headers=headers,
            body=body,
            query=query,
            algorithm=self.algorithm,
        )

    def request(
        self,
        method: str,
        operation_path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one signed call (retrying as the policy says) and return the final answer,
        whatever its status. ``operation_path`` follows the version prefix (``refunds/R1``)."""
        path = self.path_prefix + operation_path
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        url = self._origin + path
        if query:
            url += "?" + urlencode(sorted(query.items()), quote_via=quote, safe="-_.~")
        delays = self.retries.delays()
        while True:
            response = self.session.request(
                method,
                url,
                data=body,
                headers=self.signed_headers(method, path, body, query=query, extra=headers),
                timeout=self.timeout,
                verify=self.verify,
            )
            if response.status_code in self.retries.retry_statuses:
                delay = next(delays, None)
                if delay is not None:
                    self.retries.sleep(delay)
                    continue
            return response

    def _send(
        self,
        kind: type[T],
        method: str,
        operation_path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        simulation_code: str | None = None,
    ) -> T:
        extra = _given(
            **{
                "x-amz-pay-idempotency-key": idempotency_key,
                "x-amz-pay-simulation-code": simulation_code,
            }
        )
        response = self.request(method, operation_path, payload, headers=extra)
        return cast(T, answer(response))

    def close(self) -> None:
        """Close the HTTP session if this client created it (a session passed in is yours)."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _id(value: str) -> str:
    """An id as one path segment (ids are ``S01-…``; anything else is percent-encoded)."""
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="-_.~")


def answer(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a 2xx answer; :class:`AmazonPayV2Error` for anything else."""
    request_id = response.headers.get("x-amz-pay-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text[:500] or f"HTTP {response.status_code} with an empty body"
        raise AmazonPayV2Error(
            response.status_code, "MalformedResponse", f"not a JSON object: {text}",
            request_id=request_id,
        )  # fmt: skip
    if not 200 <= response.status_code < 300:
        raise AmazonPayV2Error(
            response.status_code,
            str(body.get("reasonCode") or "UnknownError"),
            str(body.get("message") or ""),
            request_id=request_id,
            body=body,
        )
    return body
