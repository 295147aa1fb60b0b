"""A ``gateway serve`` with its HTTPS listener, shared by this folder's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.databases import Databases
from tests.support.servers import GatewayServer


@pytest.fixture(scope="session")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[GatewayServer]:
    """Like ``live_server``, serving HTTPS too with the self-signed certificate it made in its
    data dir (``https_server.tls_cert``, for clients to trust)."""
    data = tmp_path_factory.mktemp("live-https") / "data"
    server = GatewayServer(data, database_url=databases.empty(data), https=True)
    yield server.start()
    server.kill()
