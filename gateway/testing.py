"""pytest plugin: the ``amazon_pay_sandbox`` fixture, a whole simulator per test.

Registered through the ``pytest11`` entry point, so installing this project is enough. The
fixture serves the simulator app in-process on 127.0.0.1 and a free port (werkzeug, in a
thread) with a fresh SQLite database in ``tmp_path``, creates a fresh merchant whose IPN URL is
an :class:`~clients.receiver.ReceiverServer`, and hands back typed clients and helpers. It
lives in ``gateway`` because it starts the simulator (``clients`` never imports ``gateway``); the
simulator's modules are imported inside the fixture, so that loading the plugin, which every
pytest run of an environment with this project installed does, loads no Flask or SQLAlchemy.
The simulator's scheduler sweeps every 0.1 s in a background thread, so due work (refund
settlement in real time) and IPN delivery happen as in ``gateway serve``. Its sandbox control
API requires tokens, as a shared sandbox's does: the fixture makes the merchant with the admin
token and calls the control API with a token of that merchant (``api_token``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from clients.fps import FpsClient
from clients.ipn import IpnVerifier
from clients.notifications import Notification
from clients.offamazon import SANDBOX_PATH, OffAmazonPaymentsClient
from clients.receiver import IpnReceiver, ReceiverServer
from clients.responses import CaptureDetails
from clients.transport import NO_RETRIES

#: Sandbox control API prefix (docs/sandbox-api.md).
CONTROL = "/sandbox/api/v1"
#: Seconds between two sweeps of the in-process scheduler (IPNs go out within about this long).
SWEEP_INTERVAL = 0.1


@dataclass
class AmazonPaySandbox:
    """A running simulator, one merchant, and the IPN receiver wired to it."""

    base_url: str
    seller_id: str
    access_key: str
    secret_key: str
    receiver: IpnReceiver
    receiver_url: str
    #: The simulator's in-process runtime (``gateway.runtime.Runtime``), for white-box tests.
    runtime: Any
    #: A control-API token of this merchant (it reaches this merchant's objects only).
    api_token: str = ""
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def endpoint_url(self) -> str:
        """The Off-Amazon Payments sandbox endpoint."""
        return self.base_url + SANDBOX_PATH

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

    def sdk_client(self, **options: Any) -> Any:
        """An official ``amazon_pay`` client for this merchant (needs the amazon-pay package)."""
        from clients.sdk import amazon_pay_client

        options.setdefault("handle_throttle", False)
        return amazon_pay_client(
            self.base_url, self.access_key, self.secret_key, self.seller_id, **options
        )

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

    def advance_clock(self, seconds: float) -> Any:
        """Move this merchant's clock; everything due runs before the call returns."""
        return self.control("POST", "/clock/advance", seconds=seconds)

    def run_due_work(self) -> int:
        """Apply everything due now at once (the background sweep would, within 0.1 s)."""
        from gateway.worker.jobs import run_due_work

        applied: int = run_due_work(self.runtime)
        return applied

    def wait(
        self,
        count: int = 1,
        timeout: float = 10,
        predicate: Callable[[Notification], bool] | None = None,
    ) -> list[Notification]:
        """Block until ``count`` verified IPNs (matching ``predicate``) have arrived."""
        return self.receiver.wait_for(count, timeout, predicate)

    @property
    def notifications(self) -> list[Notification]:
        """Verified IPNs received so far (each MessageId once)."""
        return self.receiver.notifications


class _LateApp:
    """WSGI app that forwards to an app set after the socket is bound (its port is config)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def amazon_pay_sandbox(tmp_path: Path) -> Iterator[AmazonPaySandbox]:
    """A fresh simulator (SQLite in ``tmp_path``), a fresh merchant and its IPN receiver."""
    from werkzeug.serving import make_server

    from gateway.app import create_app
    from gateway.config import Settings
    from gateway.tokens import ADMIN_PREFIX, new_token
    from gateway.worker.scheduler import build_scheduler

    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    http = requests.Session()
    scheduler = None
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        settings = Settings(
            data_dir=tmp_path / "amazon-pay-sandbox",
            seed_dir="",
            scheduler=False,
            sweep_interval=SWEEP_INTERVAL,
            port=server.server_port,
            public_url=base_url,
            admin_token=new_token(ADMIN_PREFIX),
            require_token=True,
        )
        late.app = create_app(settings=settings)
        # The simulator's own sweep (due work, then IPN delivery) in a background thread.
        scheduler = build_scheduler(late.app.extensions["gateway"])
        scheduler.start()
        thread.start()
        # Every check, the age one included: the envelope's Timestamp is the real time of sending,
        # however far ahead a merchant's clock runs (docs/ipn.md, "Times in a notification").
        verifier = IpnVerifier(allowed_cert_hosts=[f"127.0.0.1:{server.server_port}"])
        receiver = IpnReceiver(verifier)
        with ReceiverServer(receiver) as receiver_server:
            admin = {"Authorization": f"Bearer {settings.admin_token}"}
            created = http.post(
                f"{base_url}{CONTROL}/merchants",
                json={"ipn_url": receiver_server.url, "store_name": "pytest"},
                headers=admin,
                timeout=10,
            )
            created.raise_for_status()
            merchant = created.json()
            token = http.post(
                f"{base_url}{CONTROL}/merchants/{merchant['seller_id']}/tokens",
                json={"name": "amazon_pay_sandbox fixture"},
                headers=admin,
                timeout=10,
            )
            token.raise_for_status()
            yield AmazonPaySandbox(
                base_url=base_url,
                seller_id=merchant["seller_id"],
                access_key=merchant["access_key"],
                secret_key=merchant["secret_key"],
                receiver=receiver,
                receiver_url=receiver_server.url,
                runtime=late.app.extensions["gateway"],
                api_token=token.json()["token"],
                http=http,
            )
    finally:
        http.close()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=5)
        server.server_close()
        if late.app is not None:
            late.app.extensions["gateway"].db.dispose()
