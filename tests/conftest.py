"""Shared fixtures: a database per test (SQLite, or PostgreSQL when GATEWAY_TEST_DATABASE_URL is
set; see ``tests.support.databases``), a frozen base clock, a runtime, the Flask app, and a
signing test client.

The suite runs once per backend: ``.ci/run`` runs it plain (SQLite) and again with
``GATEWAY_TEST_DATABASE_URL=postgresql+psycopg://...``. The second run keeps only the tests that
reach the session's database backend, which every such test does through the ``databases``
fixture (``runtime``, ``app``, ``api``, ``live_server``, ``own_server`` and the rest depend on it):
a test whose fixtures do not include it (pure functions, wire parsing, the docs' blocks against
their own SQLite server, the import graph) would run the same code twice, so it runs on SQLite
only. A test that reaches the backend some other way, or one that must run on both for another
reason, says so with ``@pytest.mark.backend_dependent``; one that uses the store only
incidentally (to render a document, say) may opt out with ``@pytest.mark.backend_independent``.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.clock import FrozenClock
from gateway.config import Settings
from gateway.ids import IdGenerator
from gateway.ipn.keys import KEY_FILE, SigningKey, ensure_signing_key
from gateway.runtime import Runtime
from tests.helpers import MerchantCredentials, SignedApi, new_merchant
from tests.support.databases import POSTGRES_URL_ENV, Databases
from tests.support.servers import GatewayServer
from tests.support.sink import Sink

#: The fixture through which every test reaches the session's database backend.
BACKEND_FIXTURE = "databases"


def runs_on_every_backend(item: pytest.Item) -> bool:
    """Whether ``item`` reaches the database backend, and so runs on PostgreSQL too."""
    if item.get_closest_marker("backend_dependent"):
        return True
    if item.get_closest_marker("backend_independent"):
        return False
    return BACKEND_FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, deselect the tests that never reach the backend (module docstring):
    the SQLite run has run them already."""
    if not os.environ.get(POSTGRES_URL_ENV):
        return
    independent = [item for item in items if not runs_on_every_backend(item)]
    if independent:
        config.hook.pytest_deselected(items=independent)
        items[:] = [item for item in items if runs_on_every_backend(item)]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """This session's databases: SQLite, or PostgreSQL when GATEWAY_TEST_DATABASE_URL is set."""
    made = Databases.from_environment(tmp_path_factory.mktemp("databases"))
    yield made
    made.close()


@pytest.fixture
def database_url(tmp_path: Path, databases: Databases) -> str:
    """A database with the schema and no rows, for one test."""
    return databases.with_schema(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One IPN signing key per session: generating an RSA key costs ~0.2 s per test otherwise."""
    folder = tmp_path_factory.mktemp("ipn-key")
    ensure_signing_key(folder)
    return folder / KEY_FILE


@pytest.fixture(scope="session")
def signing_key(signing_key_file: Path) -> SigningKey:
    """The session's key, parsed once (tens of milliseconds per parse) and handed to runtimes."""
    return ensure_signing_key(signing_key_file.parent)


@pytest.fixture
def runtime(
    tmp_path: Path,
    database_url: str,
    clock: FrozenClock,
    signing_key_file: Path,
    signing_key: SigningKey,
    databases: Databases,
) -> Iterator[Runtime]:
    """A runtime on a database that has its schema already (so no ``initialize()``), with the
    session's signing key in its data dir and in hand."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, seed_dir="", scheduler=False
    )
    settings.data_dir.mkdir(parents=True)
    shutil.copy(signing_key_file, settings.data_dir / KEY_FILE)
    rt = Runtime.from_settings(
        settings,
        db=databases.in_process(database_url),
        clock=clock,
        ids=IdGenerator(random.Random(20261122)),
        signing_key_in_hand=signing_key,
    )
    yield rt
    rt.journal.dispose()
    rt.db.dispose()


@pytest.fixture
def app(runtime: Runtime) -> Any:
    application = create_app(runtime=runtime, initialize=False)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def merchant(runtime: Runtime) -> MerchantCredentials:
    return new_merchant(runtime)


@pytest.fixture
def api(app: Any, merchant: MerchantCredentials, clock: FrozenClock) -> SignedApi:
    """Signed Off-Amazon Payments calls as ``merchant``, in process."""
    return SignedApi(app.test_client(), merchant, clock)


# --- live servers --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[GatewayServer]:
    """A ``gateway serve`` without its scheduler, shared by the session's tests: each test makes
    merchants of its own (and so its own orders and reference ids). Due work is applied when a
    test advances a merchant's clock through the sandbox API."""
    data = tmp_path_factory.mktemp("live") / "data"
    server = GatewayServer(data, database_url=databases.empty(data))
    yield server.start()
    server.kill()  # nothing to wait for: a graceful stop costs 2.4 s and no test looks at it


@pytest.fixture(scope="session")
def live_server_with_scheduler(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[GatewayServer]:
    """Like ``live_server``, with its scheduler sweeping every 0.1 s: due work in real time, and
    IPN delivery. One web worker (the tests here are sequential)."""
    data = tmp_path_factory.mktemp("live-scheduler") / "data"
    server = GatewayServer(data, database_url=databases.empty(data), scheduler=True, workers=1)
    yield server.start()
    server.kill()


@pytest.fixture
def own_server(tmp_path: Path, databases: Databases) -> Iterator[Callable[..., GatewayServer]]:
    """Makes servers of the test's own, for tests of restarts and kills: ``own_server(**options)``
    is a ``GatewayServer`` (not started) on a new database unless ``database_url`` and
    ``data_dir`` say which. Whatever is still running at the end is killed (a test that checks a
    graceful stop calls ``stop()`` itself)."""
    made: list[GatewayServer] = []

    def make(**options: Any) -> GatewayServer:
        data_dir = options.pop("data_dir", None) or tmp_path / f"data-{len(made)}"
        url = options.pop("database_url", None) or databases.empty(data_dir)
        made.append(GatewayServer(data_dir, database_url=url, **options))
        return made[-1]

    yield make
    for server in made:
        server.kill()


@pytest.fixture
def receiver() -> Iterator[Sink]:
    """A notification sink on loopback (answers 200 unless told otherwise)."""
    with Sink() as sink:
        yield sink
