"""API v2 against a real ``gateway serve`` over HTTPS, through Amazon's Node.js SDK.

``v2_server`` is one server for the session (its HTTPS listener on a free port, the certificate
made in its data dir; seeded from sandbox_data/ as a reader's first start is, so that the quick
start can be followed on it); ``node_sdk`` one Node runner per test module (``tests.v2.node``);
``v2_merchant`` a new merchant with an API v2 key made through the control API, as a merchant
makes one, so that tests never share objects. v2-domain's end-to-end tests use these too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials
from tests.support.databases import Databases
from tests.support.servers import READY_DEADLINE, GatewayServer
from tests.v2.domain_helpers import Shop
from tests.v2.node import NodeSdk


@dataclass(frozen=True)
class V2Merchant:
    seller_id: str
    public_key_id: str
    private_key_pem: str


@pytest.fixture(scope="session")
def v2_server(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[GatewayServer]:
    data = tmp_path_factory.mktemp("v2-live") / "data"
    # The scheduler delivers IPNs (the v2 flows receive theirs) and applies due work.
    server = GatewayServer(
        data, database_url=databases.empty(data), https=True, seeded=True, scheduler=True
    )
    # A longer deadline than a plain server's: the worker starts beside the web workers (on a
    # busy machine, PostgreSQL and HTTPS, readiness took 50 s).
    yield server.start(timeout=READY_DEADLINE * 2)
    server.kill()


@pytest.fixture(scope="module")
def node_sdk(v2_server: GatewayServer) -> Iterator[NodeSdk]:
    sdk = NodeSdk(override=f"localhost:{v2_server.https_port}")
    yield sdk
    sdk.close()


@pytest.fixture
def new_v2_merchant(v2_server: GatewayServer) -> Callable[..., V2Merchant]:
    """``new_v2_merchant(environment="sandbox")``: a merchant and a key made by the control API."""

    def make(environment: str = "sandbox", **settings: Any) -> V2Merchant:
        seller_id = v2_server.new_merchant(**settings)["seller_id"]
        key = v2_server.sandbox(
            "POST", f"/merchants/{seller_id}/v2-keys", status=201, environment=environment
        )
        return V2Merchant(seller_id, key["public_key_id"], key["private_key_pem"])

    return make


@pytest.fixture
def v2_merchant(new_v2_merchant: Callable[..., V2Merchant]) -> V2Merchant:
    return new_v2_merchant()


@pytest.fixture
def shop(runtime: Runtime, merchant: MerchantCredentials) -> Shop:
    """A merchant's in-process API v2 domain calls (``tests.v2.domain_helpers``)."""
    return Shop(runtime, merchant.seller_id)
