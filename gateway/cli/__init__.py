"""The ``gateway`` command. Command bodies are a few lines; they call the same code as the APIs.

Only click and ``gateway.config`` are imported here: each command imports what it needs, so that
``gateway serve``'s gunicorn master, which outlives everything, holds none of the application
stack (SQLAlchemy, cryptography, Flask ...); its workers import that themselves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from gateway.config import (
    SQLITE_FILE,
    ConfigError,
    Settings,
    check_database_url,
    ensure_data_dir,
    load_settings,
)

if TYPE_CHECKING:
    from gateway.runtime import Runtime
    from gateway.server import Preparation
    from gateway.tls import TlsFiles


class StartupFailed(click.ClickException):
    """A configuration the command cannot start with: one line on stderr, exit status 2."""

    exit_code = 2


@contextlib.contextmanager
def _startup() -> Iterator[None]:
    """Turn a :class:`ConfigError` (bad setting, unwritable data dir, unreachable database, port
    in use) into its one line instead of a traceback."""
    try:
        yield
    except ConfigError as exc:
        raise StartupFailed(str(exc)) from None


def _settings(**options: Any) -> Any:
    with _startup():
        return load_settings({k: v for k, v in options.items() if v is not None})


def _local_settings(**options: Any) -> Settings:
    """The settings of a command that opens the database itself (``serve``, ``worker``,
    ``init-db``), with the database URL's scheme and the data dir checked before the application
    stack is imported: a second of CPU that a mistyped option need not wait for."""
    settings: Settings = _settings(**options)
    with _startup():
        check_database_url(settings.resolved_database_url)
        ensure_data_dir(settings.data_dir)
    return settings


_DATA_DIR_HELP = (
    "Folder for the SQLite file and the IPN signing key "
    "(default: .gateway-data in the current folder, or $GATEWAY_DATA_DIR)."
)
_common = [
    click.option("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)."),
    click.option("--data-dir", help=_DATA_DIR_HELP),
]


def common_options(func: Any) -> Any:
    for option in reversed(_common):
        func = option(func)
    return func


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def cli(verbose: bool) -> None:
    """A local Amazon Pay simulator (Off-Amazon Payments and FPS)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # APScheduler logs every tick at INFO; only its warnings are worth a line.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)


@cli.command()
@common_options
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (default 8080).")
@click.option("--workers", type=int, help="gunicorn worker processes (default 2).")
@click.option("--threads", type=int, help="Threads per worker (default 8).")
@click.option("--public-url", help="URL clients reach the server at, if not http://host:port.")
@click.option(
    "--https-port",
    type=int,
    help="Port of the HTTPS listener serving the same APIs (default 8443; 0: no HTTPS).",
)
@click.option(
    "--tls-cert",
    help="The HTTPS certificate, PEM (default: a self-signed one made in the data dir).",
)
@click.option("--tls-key", help="The private key of --tls-cert, PEM (default: in its file).")
@click.option(
    "--no-scheduler", is_flag=True, default=None, help="Do not run due work in the background."
)
@click.option(
    "--no-access-log",
    is_flag=True,
    default=None,
    help="Do not log a line per request (or set GATEWAY_ACCESS_LOG=0).",
)
@click.option(
    "--require-token",
    is_flag=True,
    default=None,
    help="Require a token on the sandbox control API on loopback too (always required on "
    "other addresses; or set GATEWAY_REQUIRE_TOKEN=1).",
)
@click.option(
    "--admin-token",
    help="The sandbox control API's admin token (default: $GATEWAY_ADMIN_TOKEN, else one "
    "generated into the data dir and shown in the banner).",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False),
    help="Load this scenario file (YAML or JSON: merchants and orders in chosen states) at start.",
)
def serve(
    no_scheduler: bool | None, no_access_log: bool | None, scenario: str | None, **options: Any
) -> None:
    """Start the simulator (gunicorn) on an embedded SQLite database by default."""
    from gateway.server import GatewayServer, listen, listen_https

    settings = _local_settings(
        scheduler=False if no_scheduler else None,
        access_log=False if no_access_log else None,
        **options,
    )
    # The ports next: a busy port fails before the database is touched, and the banner promises
    # bound ports (gunicorn takes over these very sockets).
    with _startup():
        listener = listen(settings)
        https_listener = listen_https(settings)
    if scenario is None and _existing_sqlite_database(settings) and _tls_files_present(settings):
        # Its tables are there: the preparation (tables a newer version adds, the banner) runs
        # beside gunicorn, whose workers import the application meanwhile and wait for it only
        # before they answer. Two imports of the whole stack in a row made the first answer
        # seconds late.
        preparation = _in_background_child(lambda: _prepare(settings), settings.data_dir)
        GatewayServer(settings, listener, https_listener, preparation).run()
    else:
        # A new database (or a server's), a certificate to make, or a scenario to load:
        # prepared, and any failure reported in its one line, before gunicorn starts.
        _in_child_process(lambda: _prepare(settings, scenario))
        GatewayServer(settings, listener, https_listener).run()


def _existing_sqlite_database(settings: Settings) -> bool:
    """Whether ``settings`` name the data dir's own SQLite database and it exists already."""
    path = settings.data_dir / SQLITE_FILE
    return not settings.database_url and path.is_file() and path.stat().st_size > 0


def _tls_files_present(settings: Settings) -> bool:
    """Whether the HTTPS listener's files exist (or there is no HTTPS listener): each web
    worker loads them when it starts, before it waits for the preparation that would make
    them."""
    from gateway.tls import tls_files

    if not settings.https_port:
        return True
    try:
        files = tls_files(settings)
    except ConfigError:
        return False  # reported in one line by the preparation before gunicorn
    return files.cert.is_file() and files.key.is_file()


def _prepare(settings: Settings, scenario: str | None = None) -> None:
    """Create the tables, seed, load the scenario, make the HTTPS certificate if needed, print
    the banner: ``serve``'s work before gunicorn starts."""
    from gateway.runtime import Runtime
    from gateway.tls import ensure_tls_files

    with _startup():
        runtime = Runtime.from_settings(settings)
        seeded = runtime.initialize()
        https = ensure_tls_files(settings) if settings.https_port else None
    if scenario is not None:
        _load_scenario(runtime, Path(scenario))
    _print_banner(runtime, seeded, https)
    runtime.db.dispose()


def _load_scenario(runtime: Runtime, path: Path) -> None:
    from gateway.scenarios.loader import ScenarioProblem, load_scenario, parse_file

    try:
        made = load_scenario(runtime, parse_file(path.read_text(encoding="utf-8"), path.name))
    except (ScenarioProblem, UnicodeDecodeError) as exc:
        raise StartupFailed(f"scenario {path}: {exc}") from None
    orders = sum(len(m.orders) for m in made)
    checkouts = sum(len(m.v2_checkouts) for m in made)
    rules = sum(len(m.fault_rules) for m in made)
    click.echo(
        f"scenario {path}: {len(made)} merchant(s), {orders} order(s), "
        f"{checkouts} API v2 checkout(s), {rules} fault rule(s)"
    )


def _in_child_process(step: Callable[[], None]) -> None:
    """Run ``step`` in a forked child and wait for it; exit as the child did if it failed.

    What ``step`` imports and allocates (the whole application stack, for ``_prepare``) goes
    away with the child instead of staying, unused, in the long-lived gunicorn master. Where
    there is no ``fork``, ``step`` runs in this process.
    """
    if not hasattr(os, "fork"):
        step()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _run_child(step)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(code if code > 0 else 1)


def _in_background_child(step: Callable[[], None], data_dir: Path) -> Preparation:
    """Run ``step`` in a forked child without waiting for it: the returned
    :class:`~gateway.server.Preparation` is how gunicorn's processes wait for it (a lock the
    child holds until it ends) and learn how it ended."""
    from gateway.server import Preparation

    preparation = Preparation.locked(data_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _run_child(step)  # holds the lock (the same open file) until it exits
    preparation.started(pid)
    return preparation


def _run_child(step: Callable[[], None]) -> NoReturn:
    """In a forked child: run ``step`` and exit with its status, as the command would have."""
    code = 0
    try:
        step()
    except click.ClickException as exc:  # as click would show it in this process
        exc.show()
        code = exc.exit_code
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        code = 1  # the parent got the same SIGINT; click reports it there ("Aborted!")
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


@cli.command()
@common_options
@click.option("--interval", type=float, help="Seconds between sweeps (default 1).")
def worker(interval: float | None, **options: Any) -> None:
    """Run due work and IPN delivery against the database, without a web server."""
    settings = _local_settings(sweep_interval=interval, **options)
    from gateway.runtime import Runtime
    from gateway.worker.scheduler import build_scheduler

    with _startup():
        runtime = Runtime.from_settings(settings)
        runtime.initialize()
    click.echo(
        f"gateway worker: sweeping {runtime.settings.resolved_database_url} every "
        f"{runtime.settings.sweep_interval:g}s"
    )
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        build_scheduler(runtime, blocking=True).start()


@cli.command("ipn-check")
@click.argument("url")
@click.option(
    "--simulator",
    help="The running simulator's URL: the signing key is fetched from it "
    "(default: http://127.0.0.1:8080, or $GATEWAY_PUBLIC_URL / $GATEWAY_PORT).",
)
@click.option(
    "--data-dir",
    help="Read the signing key from this simulator data dir instead of fetching it "
    "(SigningCertURL still points at --simulator).",
)
@click.option(
    "--seller-id",
    default="A2SANDBOXSELLER",
    show_default=True,
    help="SellerId in the notifications.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table."
)
@click.option(
    "--token",
    help="The simulator's admin token, where it requires one (default: $GATEWAY_ADMIN_TOKEN, "
    "else the admin-token file of .gateway-data or $GATEWAY_DATA_DIR if there is one).",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
def ipn_check(
    url: str,
    simulator: str | None,
    data_dir: str | None,
    seller_id: str,
    as_json: bool,
    token: str | None,
    timeout: float,
) -> None:
    """Check a webhook receiver at URL: genuine IPNs accepted, forgeries refused.

    Notifications are signed with the running simulator's IPN key, fetched from it (or read
    from --data-dir; a key is never made here), and their SigningCertURL points at its
    certificate, so the receiver checks them as it checks the simulator's own IPNs. Exits 1
    when a required check fails, 2 when there is no key to sign with.
    """
    from clients.ipn_check import (
        RsaEnvelopeSigner,
        SignerUnavailable,
        fetch_simulator_signer,
        format_report,
        results_json,
        run_ipn_check,
    )

    settings = _settings()
    base = (simulator or settings.resolved_public_url).rstrip("/")
    if data_dir is None:
        from gateway.tokens import read_admin_token

        token = token or settings.admin_token or read_admin_token(settings.data_dir)
        try:
            signer = fetch_simulator_signer(base, timeout=timeout, token=token)
        except SignerUnavailable as exc:
            raise StartupFailed(str(exc)) from None
    else:
        from gateway.ipn.envelope import CERTIFICATE_PATH
        from gateway.ipn.keys import KEY_FILE, load_signing_key

        key = load_signing_key(Path(data_dir))
        if key is None:
            raise StartupFailed(
                f"no IPN signing key ({KEY_FILE}) in {data_dir}: pass the data dir of a "
                "simulator that has started, or --simulator URL of a running one"
            )
        signer = RsaEnvelopeSigner(key.private_key, base + CERTIFICATE_PATH)
    results = run_ipn_check(url, signer, seller_id=seller_id, timeout=timeout)
    click.echo(results_json(results) if as_json else format_report(results))
    if any(not r.passed and r.case.required for r in results):
        sys.exit(1)


@cli.command("init-db")
@common_options
def init_db(**options: Any) -> None:
    """Create the tables and, for a new database, load sandbox_data/."""
    settings = _local_settings(**options)
    from gateway.runtime import Runtime

    with _startup():
        runtime = Runtime.from_settings(settings)
        seeded = runtime.initialize()
    click.echo("database created and seeded" if seeded else "database already exists; left as is")


def _print_banner(runtime: Runtime, seeded: bool, https: tuple[TlsFiles, bool] | None) -> None:
    from sqlalchemy import select

    from gateway.store.models import Merchant
    from gateway.v2.account_models import V2PublicKey

    settings = runtime.settings
    base = settings.resolved_public_url
    with runtime.db.session(write=False) as session:
        merchants = list(session.scalars(select(Merchant).order_by(Merchant.id).limit(5)))
        v2_keys = list(
            session.scalars(
                select(V2PublicKey)
                .where(V2PublicKey.merchant_id.in_([m.id for m in merchants]))
                .order_by(V2PublicKey.id)
            )
        )
    lines = [
        "Amazon Pay simulator",
        f"  database:                {settings.resolved_database_url}"
        + (" (new, seeded from sandbox_data/)" if seeded else ""),
        f"  Off-Amazon Payments API: {base}/OffAmazonPayments_Sandbox/2013-01-01",
        f"  FPS API:                 {base}/",
        f"  Amazon Pay API v2:       {settings.https_url or base}/v2/ (and /sandbox/v2/, "
        "/live/v2/; docs/v2.md)",
        f"  sandbox control API:     {base}/sandbox/api/v1 (reference: {base}/sandbox/api/docs)",
        *(_https_banner(settings, *https) if https is not None else []),
        f"  admin token:             {runtime.admin_token}"
        + ("" if settings.token_required else " (not required on loopback)"),
    ]
    for merchant in merchants:
        lines += [
            f"  merchant {merchant.seller_id}:",
            f"    access key: {merchant.access_key}",
            f"    secret key: {merchant.secret_key}",
        ]
        for key in v2_keys:
            if key.merchant_id == merchant.id:
                lines += _v2_key_banner(settings, key.public_key_id, key.environment)
    click.echo("\n".join(lines))
    sys.stdout.flush()


def _v2_key_banner(settings: Settings, public_key_id: str, environment: str | None) -> list[str]:
    """An API v2 key's line; for a seeded key (its private key in the data dir), the Node SDK's
    configuration to use (reference/amazon-pay-v2.md §9: the SDK always calls https:// on
    ``overrideServiceUrl``)."""
    from gateway.v2.keys import seeded_key_file

    lines = [f"    API v2 public key id: {public_key_id}"]
    private = seeded_key_file(settings.data_dir, public_key_id)
    if not private.exists() or not settings.https_url:
        return lines
    host = settings.https_url.removeprefix("https://")
    if host.startswith(("0.0.0.0:", "[::]:")):
        host = "localhost:" + host.rpartition(":")[2]
    return [
        *lines,
        "    Node SDK (@amazonpay/amazon-pay-api-sdk-nodejs) configuration:",
        f"      {{ publicKeyId: '{public_key_id}',",
        f"        privateKey: fs.readFileSync('{private}'),",
        f"        region: 'us', sandbox: {'false' if environment == 'live' else 'true'}, "
        "algorithm: 'AMZN-PAY-RSASSA-PSS-V2',",
        f"        overrideServiceUrl: '{host}' }}",
    ]


def _https_banner(settings: Settings, files: TlsFiles, made: bool) -> list[str]:
    """The HTTPS listener's lines: its address, its certificate, and how to trust that."""
    lines = [f"  HTTPS, the same APIs:    {settings.https_url}"]
    if not files.self_signed:
        return [*lines, f"  HTTPS certificate:       {files.cert}"]
    state = "made now, self-signed" if made else "self-signed"
    return [
        *lines,
        f"  HTTPS certificate:       {files.cert} ({state})",
        f"    trust it in clients:   REQUESTS_CA_BUNDLE={files.cert} (Python requests),",
        f"                           NODE_EXTRA_CA_CERTS={files.cert} (Node.js),",
        "                           or the system store (docs/clients-in-the-wild.md)",
    ]


def _add_client_commands() -> None:
    """The commands that drive a running simulator through its control API (``gateway.cli.http``):
    click and ``requests`` only, imported when a call is made."""
    from gateway.cli import faults, objects, sandbox, v2
    from gateway.cli.sign import sign
    from gateway.cli.trigger import trigger

    for command in [
        *objects.COMMANDS,
        *sandbox.COMMANDS,
        *faults.COMMANDS,
        *v2.COMMANDS,
        sign,
        trigger,
    ]:
        cli.add_command(command)


_add_client_commands()


def main() -> None:
    cli(prog_name="gateway")
