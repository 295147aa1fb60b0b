"""Shared fixtures: a database per test (SQLite, or PostgreSQL when GATEWAY_TEST_DATABASE_URL is
set), a frozen base clock, a runtime, the Flask app, and a signing test client.

The whole suite runs once per backend: ``.ci/run`` runs it plain (SQLite) and again with
``GATEWAY_TEST_DATABASE_URL=postgresql+psycopg://...``.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool

from gateway.app import create_app
from gateway.clock import FrozenClock
from gateway.config import Settings
from gateway.ids import IdGenerator
from gateway.ipn.keys import KEY_FILE, ensure_signing_key
from gateway.runtime import Runtime
from gateway.store.db import Database
from tests.helpers import MerchantCredentials, SignedApi, new_merchant

POSTGRES_URL_ENV = "GATEWAY_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL database of this test session's own, dropped at the end (None: SQLite).

    ``GATEWAY_TEST_DATABASE_URL`` names the server to use; each session creates a database
    there, so concurrent runs on one server (developers, CI) never touch each other's tables.
    """
    server_url = os.environ.get(POSTGRES_URL_ENV)
    if not server_url:
        yield None
        return
    server = make_url(server_url)
    name = f"gateway_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str | None) -> Iterator[str]:
    """A fresh, empty database for one test."""
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
        return
    db = Database(postgres_url)
    db.drop_all()
    db.dispose()
    yield postgres_url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One IPN signing key per session: generating an RSA key costs ~0.2 s per test otherwise."""
    folder = tmp_path_factory.mktemp("ipn-key")
    ensure_signing_key(folder)
    return folder / KEY_FILE


@pytest.fixture
def runtime(
    tmp_path: Path, database_url: str, clock: FrozenClock, signing_key_file: Path
) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, seed_dir="", scheduler=False
    )
    settings.data_dir.mkdir(parents=True)
    shutil.copy(signing_key_file, settings.data_dir / KEY_FILE)
    rt = Runtime.from_settings(settings, clock=clock, ids=IdGenerator(random.Random(20261122)))
    rt.initialize()
    yield rt
    if os.environ.get(POSTGRES_URL_ENV):
        rt.db.drop_all()
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
