"""pytest plugin: the ``amazon_pay_sandbox`` fixture, a fresh merchant on an in-process simulator.

Registered through the ``pytest11`` entry point, so installing this project is enough. The
simulator (its app, schema and IPN signing key) starts once per test session
(``amazon_pay_sandbox_server``) on SQLite in a temporary folder, and answers in the test's own
process, without sockets (``gateway.testing.inprocess``): whatever ``requests`` sends to
``SANDBOX_URL`` (the official ``amazon_pay`` SDK, the client toolkit, a test's own calls) is
handed to the app, and the simulator's IPNs are posted to each test's
:class:`~clients.receiver.IpnReceiver` the same way. Each test gets a fresh merchant of its own
(its clock, its objects, its notifications), so tests stay isolated at the cost of one
database row.

API v2 too: ``v2`` is an :class:`~clients.amazon_pay_v2.client.AmazonPayV2Client` of the
merchant (its ``SANDBOX-`` key made on first use, as the control API's ``POST …/v2-keys`` makes
one), ``v2_buyer`` plays the buyer of a checkout session (the control API's shortcut), and the
receiver takes IPN v2 as well (``AnyIpnVerifier``): ``wait`` returns both kinds.

Its sandbox control API requires tokens, as a shared sandbox's does: each test's merchant comes
with a token of its own (``api_token``), which ``control`` sends and which reaches that
merchant's objects only.

Time is the merchant's: ``advance_clock`` applies what became due before it returns, and
``wait`` applies the merchant's due work and delivers due IPNs at once before waiting. A
background sweep (every ``SWEEP_INTERVAL`` seconds) also settles work that falls due in real
time, as ``gateway serve``'s worker does. The plugin lives in ``gateway`` because it runs the simulator (``clients`` never imports
``gateway``); the simulator's modules are imported when the session's server starts, so that
loading the plugin, which every pytest run of an environment with this project installed does,
loads no Flask or SQLAlchemy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from clients.amazon_pay_v2.client import AmazonPayV2Client
from clients.amazon_pay_v2.ipn import AnyIpnVerifier, NotificationV2
from clients.fps import FpsClient
from clients.notifications import Notification
from clients.offamazon import SANDBOX_PATH, OffAmazonPaymentsClient
from clients.receiver import IpnReceiver
from clients.responses import CaptureDetails
from clients.transport import NO_RETRIES

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

#: Where the in-process simulator answers (``.invalid`` never resolves: nothing leaves the
#: process for it).
SANDBOX_HOST = "amazon-pay-sandbox.invalid"
SANDBOX_URL = f"http://{SANDBOX_HOST}"
#: Each test's IPN receiver answers at ``RECEIVERS_URL/<seller id>``, in process too.
RECEIVERS_URL = "http://ipn-receiver.invalid"
#: Sandbox control API prefix (docs/sandbox-api.md).
CONTROL = "/sandbox/api/v1"
#: Seconds between two background sweeps (work due in real time, IPNs not yet delivered), as
#: ``gateway serve``'s worker: ``advance_clock`` and ``wait`` do what a test waits for at once.
SWEEP_INTERVAL = 1.0

#: What the receiver records: Off-Amazon Payments IPNs and IPN v2.
AnyNotification = Notification | NotificationV2


@dataclass
class AmazonPaySandbox:
    """One test's merchant on the session's simulator, and the IPN receiver wired to it."""

    base_url: str
    seller_id: str
    access_key: str
    secret_key: str
    receiver: IpnReceiver[AnyNotification]
    receiver_url: str
    #: The simulator's runtime (``gateway.runtime.Runtime``), for white-box tests.
    runtime: Any
    #: A control-API token of this merchant (it reaches this merchant's objects only).
    api_token: str = ""
    #: The merchant's row id (``runtime`` calls take it).
    merchant_id: int = 0
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def endpoint_url(self) -> str:
        """The Off-Amazon Payments sandbox endpoint."""
        return self.base_url + SANDBOX_PATH

    @cached_property
    def sdk(self) -> Any:
        """The official ``amazon_pay`` client for this merchant (``handle_throttle`` off)."""
        return self.sdk_client()

    def sdk_client(self, **options: Any) -> Any:
        """A new official ``amazon_pay`` client for this merchant; ``options`` go to its
        constructor (``handle_throttle`` defaults to False: errors surface at once)."""
        from clients.sdk import amazon_pay_client

        options.setdefault("handle_throttle", False)
        return amazon_pay_client(
            self.base_url, self.access_key, self.secret_key, self.seller_id, **options
        )

    @property
    def client(self) -> OffAmazonPaymentsClient:
        """A typed client for this merchant (no retries: errors surface at once)."""
        return OffAmazonPaymentsClient(
            self.endpoint_url,
            self.access_key,
            self.secret_key,
            self.seller_id,
            session=self.http,
            retries=NO_RETRIES,
        )

    @property
    def fps(self) -> FpsClient:
        """A typed FPS client for this merchant."""
        return FpsClient(
            self.base_url + "/",
            self.access_key,
            self.secret_key,
            session=self.http,
            retries=NO_RETRIES,
        )

    @cached_property
    def v2_key(self) -> tuple[str, str]:
        """The merchant's API v2 key: its public key id (``SANDBOX-…``) and private key PEM,
        made on first use (an RSA key costs tens of milliseconds; v1-only tests skip it)."""
        from gateway.v2.keys import create_key

        rt = self.runtime

        def make(session: Any) -> tuple[str, str]:
            row, private_pem = create_key(
                session, rt.ids, self.merchant_id, rt.clock.now(), name="amazon_pay_sandbox fixture"
            )
            return row.public_key_id, private_pem

        key: tuple[str, str] = rt.db.run(make)
        return key

    @cached_property
    def v2(self) -> AmazonPayV2Client:
        """A typed API v2 client of this merchant, sandbox environment (no retries: errors
        surface at once)."""
        public_key_id, private_pem = self.v2_key
        return AmazonPayV2Client(
            public_key_id,
            private_pem,
            endpoint=self.base_url,
            session=self.http,
            retries=NO_RETRIES,
        )

    def v2_buyer(self, checkout_session_id: str, step: str = "buyer", **body: Any) -> Any:
        """Play the buyer of an API v2 checkout session through the control API's shortcut
        (``gateway.v2.buyer_journey``): ``buyer`` signs in and picks an address and a card
        (``card="…"``, a sandbox card, docs/v2.md), then returns to the review URL;
        ``redirect`` is the ``amazonPayRedirectUrl`` step after Update Checkout Session."""
        return self.control("POST", f"/v2/checkout-sessions/{checkout_session_id}/{step}", **body)

    def control(self, method: str, path: str, **json: Any) -> Any:
        """Call the sandbox control API for this merchant; returns the decoded JSON."""
        url = f"{self.base_url}{CONTROL}/merchants/{self.seller_id}{path}"
        headers = {"Authorization": f"Bearer {self.api_token}"}
        response = self.http.request(method, url, json=json, headers=headers, timeout=10)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def new_order(self, **body: Any) -> str:
        """A Draft order reference, as the buyer's checkout widget would make it."""
        order_id: str = self.control("POST", "/order-references", **body)[
            "amazon_order_reference_id"
        ]
        return order_id

    def open_order(self, amount: str = "100.00", currency_code: str = "USD") -> str:
        """An Open (confirmed) order reference for ``amount``."""
        order_id = self.new_order()
        self.client.set_order_reference_details(order_id, amount, currency_code)
        self.client.confirm_order_reference(order_id)
        return order_id

    def completed_capture(
        self, amount: str = "100.00", currency_code: str = "USD", ref: str = "sandbox"
    ) -> CaptureDetails:
        """Order → synchronous authorization → Completed capture of ``amount``.

        ``ref`` prefixes the authorization and capture reference ids (unique per merchant).
        """
        client = self.client
        order_id = self.open_order(amount, currency_code)
        auth = client.authorize(order_id, f"{ref}-a", amount, currency_code, transaction_timeout=0)
        return client.capture(auth.amazon_authorization_id, f"{ref}-c", amount, currency_code)

    def configure(self, **settings: Any) -> Any:
        """Change merchant settings (``settle_delay_seconds``, ``ipn_signature_version``…)."""
        return self.control("PATCH", "", **settings)

    def throttle(self, mode: str = "sandbox") -> Any:
        """Apply Amazon's request quotas to this merchant: ``sandbox``, ``production`` or
        ``off`` (docs/faults.md); freeze its clock first for exact counts."""
        return self.control("PUT", "/throttling", mode=mode)

    def advance_clock(self, seconds: float) -> Any:
        """Move this merchant's clock; everything due runs before the call returns."""
        return self.control("POST", "/clock/advance", seconds=seconds)

    def run_due_work(self) -> int:
        """Apply this merchant's due work now (the background sweep would, within a second)."""
        from gateway.worker.jobs import run_due_work

        applied: int = run_due_work(self.runtime, self.merchant_id)
        return applied

    def deliver(self) -> int:
        """Post every due IPN now and return once they are answered; how many were posted."""
        from gateway.ipn.outbox import deliver_due

        posted: int = deliver_due(self.runtime, wait=True)
        return posted

    def wait(
        self,
        count: int = 1,
        timeout: float = 10,
        predicate: Callable[[AnyNotification], bool] | None = None,
    ) -> list[AnyNotification]:
        """Apply this merchant's due work and deliver due IPNs now, then block until ``count``
        verified ones (matching ``predicate``) have arrived (later ones come with the background
        sweep); raises ``TimeoutError`` after ``timeout`` seconds."""
        self.run_due_work()
        self.deliver()
        return self.receiver.wait_for(count, timeout, predicate)

    @property
    def notifications(self) -> list[AnyNotification]:
        """Verified IPNs received so far (each MessageId once)."""
        return self.receiver.notifications


class SandboxServer:
    """The session's simulator: its runtime and app on one SQLite database, reached in process."""

    def __init__(self, folder: Path, database_url: str = "") -> None:
        from gateway.app import create_app
        from gateway.config import Settings
        from gateway.runtime import Runtime
        from gateway.testing.inprocess import InProcessNetwork
        from gateway.tokens import ADMIN_PREFIX, new_token

        self.network = InProcessNetwork()
        settings = Settings(
            data_dir=folder,
            database_url=database_url,
            seed_dir="",
            scheduler=False,
            sweep_interval=SWEEP_INTERVAL,
            public_url=SANDBOX_URL,
            access_log=False,
            admin_token=new_token(ADMIN_PREFIX),
            require_token=True,
        )
        self.runtime: Runtime = Runtime.from_settings(
            settings, ipn_transport=self.network.ipn_transport
        )
        self.app = create_app(runtime=self.runtime)  # the schema and the IPN key, once
        self.network.route(SANDBOX_URL + "/", self.app)
        # One verifier for the session: it fetches the certificate once. Every check is made,
        # the age one included (an envelope carries the real time it was sent, docs/ipn.md).
        self.verifier = AnyIpnVerifier(allowed_cert_hosts=[SANDBOX_HOST])
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep, name="sandbox-sweep", daemon=True)

    def _sweep(self) -> None:
        """``gateway worker``'s sweep, one after another with a pause between. A plain loop
        rather than APScheduler's interval job, which logs a warning whenever a sweep outlasts
        the interval (as it may in a busy test process); here a slow sweep only delays the
        next."""
        from gateway.worker.sweep import sweep

        while not self._stop.wait(SWEEP_INTERVAL):
            try:
                sweep(self.runtime)
            except Exception:
                log.exception("sandbox sweep failed; trying again")

    def start(self) -> SandboxServer:
        self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper.is_alive():
            self._sweeper.join()
        dispatcher = self.runtime.started_dispatcher
        if dispatcher is not None:
            dispatcher.close()
        self.runtime.db.dispose()

    def merchant(self) -> AmazonPaySandbox:
        """A new merchant whose IPNs go to a new receiver (both in process)."""
        from gateway.domain.merchants import create_merchant
        from gateway.tokens import create_merchant_token

        rt = self.runtime
        seller_id = rt.ids.seller_id()
        receiver_url = f"{RECEIVERS_URL}/{seller_id}"
        receiver: IpnReceiver[AnyNotification] = IpnReceiver(self.verifier)
        self.network.route(receiver_url, receiver)

        def make(session: Any) -> tuple[Any, str]:
            now = rt.clock.now()
            record = create_merchant(
                session, rt.ids, now, seller_id=seller_id, ipn_url=receiver_url, store_name="pytest"
            )
            _, token = create_merchant_token(session, record.id, "amazon_pay_sandbox fixture", now)
            return record, token

        record, token = rt.db.run(make)
        return AmazonPaySandbox(
            base_url=SANDBOX_URL,
            seller_id=record.seller_id,
            access_key=record.access_key,
            secret_key=record.secret_key,
            receiver=receiver,
            receiver_url=receiver_url,
            runtime=rt,
            api_token=token,
            merchant_id=record.id,
        )

    def retire(self, sandbox: AmazonPaySandbox) -> None:
        """After its test: the receiver goes, and the merchant's IPNs not yet sent are parked
        (no endpoint) rather than rendered and signed for nobody."""
        from gateway.store import merchants

        self.network.unroute(sandbox.receiver_url)
        sandbox.http.close()

        def forget_endpoint(session: Any) -> None:
            record = merchants.by_seller_id(session, sandbox.seller_id)
            if record is not None:
                merchants.for_update(session, record.id).ipn_url = None

        self.runtime.db.run(forget_endpoint)


@contextmanager
def running_server(folder: Path, database_url: str = "") -> Iterator[SandboxServer]:
    """A started :class:`SandboxServer` answering in process until the block ends; its data in
    ``folder``, its database SQLite there unless ``database_url`` names another (empty: the app
    creates the schema)."""
    server = SandboxServer(folder, database_url)
    try:
        with server.network.intercepting():
            yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def amazon_pay_sandbox_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SandboxServer]:
    """The session's in-process simulator (started once: app, schema, signing key, sweep);
    override it (``running_server``) for another database."""
    with running_server(tmp_path_factory.mktemp("amazon-pay-sandbox")) as server:
        yield server


@pytest.fixture
def amazon_pay_sandbox(amazon_pay_sandbox_server: SandboxServer) -> Iterator[AmazonPaySandbox]:
    """A fresh merchant of this test's own on the session's simulator, and its IPN receiver."""
    sandbox = amazon_pay_sandbox_server.merchant()
    try:
        yield sandbox
    finally:
        amazon_pay_sandbox_server.retire(sandbox)
