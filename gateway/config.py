"""Settings and their load order. No Flask here.

Load order, later wins: the defaults below, then ``GATEWAY_*`` environment variables (the field
name in upper case: ``GATEWAY_DATABASE_URL``, ``GATEWAY_DATA_DIR``, ``GATEWAY_PORT`` ...), then
explicit overrides (command-line options, test fixtures).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gateway.private_files import private_dir


class ConfigError(Exception):
    """A setting the simulator cannot start with. The message is one line: the problem and what
    to do about it; the command line prints it as is and exits with status 2."""


#: URL schemes a ``database_url`` may use (SQLAlchemy dialect, optionally ``+driver``).
SUPPORTED_SCHEMES = ("sqlite", "postgresql")

#: See ``Settings.drained_body_bytes``: reading 16 MiB that is thrown away takes tens of
#: milliseconds on loopback, and lets a client see its error instead of a reset connection.
DRAINED_BODY_BYTES = 16 * 1024 * 1024

#: Where the seeded sandbox data ships: ``sandbox_data/`` beside the package.
DEFAULT_SEED_DIR = Path(__file__).resolve().parent.parent / "sandbox_data"


@dataclass(frozen=True)
class Settings:
    #: Folder for the SQLite database, the IPN signing key and certificate.
    data_dir: Path = Path(".gateway-data")
    #: SQLAlchemy URL; empty means ``sqlite:///<data_dir>/gateway.sqlite3``.
    database_url: str = ""
    #: Seed files loaded into a new, empty database (empty string: do not seed).
    seed_dir: str = str(DEFAULT_SEED_DIR)
    host: str = "127.0.0.1"
    port: int = 8080
    #: gunicorn worker processes and threads per worker.
    workers: int = 2
    threads: int = 8
    #: Run the background scheduler (due work, IPN delivery) beside the web server.
    scheduler: bool = True
    #: Seconds between two sweeps of the scheduler.
    sweep_interval: float = 1.0
    #: Log one line per request (method, path, Action, status, milliseconds).
    access_log: bool = True
    #: The URL clients reach the server at (for SigningCertURL); empty: http://host:port.
    public_url: str = ""
    #: Off-Amazon Payments and FPS requests one process works on at once (0: no limit). The others wait
    #: in their threads: a process's threads share one interpreter lock, and more than one busy
    #: request per process made each of them slower (threads convoying on the GIL while one of
    #: them held SQLite's write lock) without adding throughput. Threads still hold idle and
    #: keep-alive connections and the sandbox API's requests, which are not counted.
    active_requests: int = 1
    #: Largest request body accepted, in bytes.
    max_request_bytes: int = 1_000_000
    #: Signed requests the request journal keeps per merchant (a ring; 0: no journal).
    journal_size: int = 1000
    #: Largest merchant export a sandbox import accepts, in bytes (it is read as a stream).
    max_import_bytes: int = 1_000_000_000
    #: IPN retries, in seconds of the merchant's simulated time. Amazon retries a failed IPN
    #: every hour for 14 days (reference/amazon-wire.md §2.5); the defaults compress that so a
    #: test sees the whole schedule in minutes. The n-th retry waits
    #: ``min(base * 2**(n-1), max_interval)`` plus up to 25 % jitter; no retry is scheduled
    #: past ``horizon`` after the first attempt. Amazon's own: 3600 / 3600 / 1209600.
    ipn_retry_base_seconds: float = 2.0
    ipn_retry_max_interval_seconds: float = 60.0
    ipn_retry_horizon_seconds: float = 3600.0
    #: Concurrent IPN posts per process (one merchant's notifications go out one at a time).
    ipn_delivery_threads: int = 8
    #: How long a claimed (in_flight) notification stays claimed before another worker may
    #: take it over, in seconds of the base (real) clock; longer than one post can take.
    ipn_claim_lease_seconds: float = 120.0
    #: The sandbox control API's admin token (``gateway.tokens``); empty: the one generated
    #: into the data dir (``admin-token``, 0600) on first start and shown in the banner.
    admin_token: str = ""
    #: Require a token on the sandbox control API on loopback too (it always is when the
    #: server listens on any other address).
    require_token: bool = False

    @property
    def token_required(self) -> bool:
        """Whether control-API calls need a token: always unless listening on loopback only."""
        return self.require_token or not is_loopback(self.host)

    @property
    def drained_body_bytes(self) -> int:
        """Longest body a request may carry and still leave its connection usable when the
        application answers without reading it (a 404, a 405, a body over
        ``max_request_bytes``): ``gateway.api.keepalive`` reads the rest before the answer goes
        out. A longer one is answered ``Connection: close`` unread (``gateway.server``)."""
        return max(DRAINED_BODY_BYTES, self.max_request_bytes)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'gateway.sqlite3'}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``. Any other
    name, and the wildcard addresses (0.0.0.0, ::), listen beyond this machine."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_database_url(url: str) -> None:
    """Refuse a URL whose scheme is not SQLite or PostgreSQL, naming the one to use instead."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme == "postgres":
        # SQLAlchemy 1.4 dropped this alias; Heroku-style URLs still carry it.
        raise ConfigError(
            f"database URL scheme 'postgres://' is not supported: write "
            f"postgresql+psycopg://{url.partition('://')[2]} instead"
        )
    if scheme.partition("+")[0] not in SUPPORTED_SCHEMES:
        raise ConfigError(
            f"database URL {url!r} is not supported: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE (--database-url or GATEWAY_DATABASE_URL)"
        )


def ensure_data_dir(path: Path) -> None:
    """Create the data dir if needed (0700: it holds secrets) and check that files can be made
    in it."""
    hint = "pass --data-dir (or set GATEWAY_DATA_DIR) to a folder you can write"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"the data dir {path} is a file, not a folder; {hint}")
    try:
        private_dir(path)
    except OSError as exc:
        raise ConfigError(f"cannot create the data dir {path}: {exc.strerror}; {hint}") from None
    try:
        # The one true test of writability (os.access ignores ACLs, read-only mounts, root).
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"the data dir {path} is not writable: {exc.strerror}; {hint}") from None


def _coerce(kind: Any, text: str) -> Any:
    if kind in (bool, "bool"):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(text)
    if kind in (float, "float"):
        return float(text)
    if kind in (Path, "Path"):
        return Path(text)
    return text


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then ``GATEWAY_*`` variables, then ``overrides`` (None values are ignored)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Settings):
        name = f"GATEWAY_{field.name.upper()}"
        if name in env:
            try:
                values[field.name] = _coerce(field.type, env[name])
            except ValueError:
                raise ConfigError(
                    f"{name}={env[name]!r} is not a valid {field.type}; fix or unset it"
                ) from None
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = Path(value) if key == "data_dir" else value
    return Settings(**values)
