"""Start-up and configuration errors through the real console script: one line on stderr naming
the problem and what to do, exit status 2, no traceback, and no ready banner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port

pytestmark = pytest.mark.e2e


def gateway_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m gateway``."""
    script = shutil.which("gateway", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "gateway"]


def run_gateway(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [*gateway_command(), *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=60, check=False,
    )  # fmt: skip


def assert_one_line_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Amazon Pay simulator" not in done.stdout  # no banner before a failure
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Path:
    """A folder nobody can create files in (root ignores modes: sysfs refuses even root)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys/kernel")):
        try:
            with tempfile.TemporaryFile(dir=candidate):
                pass
        except OSError:
            return candidate
    pytest.skip("no folder this user cannot write to")


@pytest.fixture
def refused_url() -> str:
    """A PostgreSQL URL on a port where nothing listens."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield int(sock.getsockname()[1])


COMMANDS = ["serve", "worker", "init-db"]


def command_args(command: str, tmp_path: Path) -> list[str]:
    if command == "serve":
        return ["serve", "--port", str(free_port()), "--https-port", "0", "--no-scheduler"]
    return [command]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_data_dir_that_cannot_be_created(command: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run_gateway(
        *command_args(command, tmp_path), "--data-dir", str(blocker / "data"), cwd=tmp_path
    )
    assert_one_line_failure(done, "cannot create the data dir", "--data-dir")


@pytest.mark.parametrize("command", ["serve", "init-db"])
def test_a_data_dir_that_is_a_file(command: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run_gateway(*command_args(command, tmp_path), "--data-dir", str(blocker), cwd=tmp_path)
    assert_one_line_failure(done, "is a file, not a folder", "--data-dir")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unwritable_data_dir(command: str, tmp_path: Path, unwritable_dir: Path) -> None:
    done = run_gateway(
        *command_args(command, tmp_path), "--data-dir", str(unwritable_dir), cwd=tmp_path
    )
    assert_one_line_failure(done, "is not writable", "--data-dir")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_refused_postgresql(command: str, tmp_path: Path, refused_url: str) -> None:
    done = run_gateway(
        *command_args(command, tmp_path), "--data-dir", str(tmp_path / "data"),
        "--database-url", refused_url, cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_failure(done, "cannot connect to the database", "refused", "--database-url")


@pytest.mark.parametrize("command", COMMANDS)
def test_the_postgres_scheme_names_the_one_to_use(command: str, tmp_path: Path) -> None:
    done = run_gateway(
        *command_args(command, tmp_path), "--data-dir", str(tmp_path / "data"),
        "--database-url", "postgres://postgres@127.0.0.1:5432/test", cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_failure(done, "'postgres://'", "postgresql+psycopg://postgres@127.0.0.1")


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1/test", "oracle://x", "gateway.db"])
def test_other_schemes_are_refused(url: str, tmp_path: Path) -> None:
    done = run_gateway(
        "init-db", "--data-dir", str(tmp_path / "data"), "--database-url", url, cwd=tmp_path
    )
    assert_one_line_failure(done, "is not supported", "sqlite:///", "postgresql+psycopg://")


def test_a_bad_environment_variable(tmp_path: Path) -> None:
    env = {**os.environ, "GATEWAY_PORT": "eighty"}
    done = subprocess.run(
        [*gateway_command(), "serve"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert_one_line_failure(done, "GATEWAY_PORT")


def test_a_busy_port_fails_before_the_banner(
    tmp_path: Path, busy_port: int, database_url: str
) -> None:
    done = run_gateway(
        "serve", "--port", str(busy_port), "--data-dir", str(tmp_path / "data"),
        "--database-url", database_url, "--no-scheduler", cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_failure(done, f"port 127.0.0.1:{busy_port} is already in use", "--port")
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["serve", "init-db"])
def test_a_database_of_an_earlier_version_is_refused_naming_what_it_lacks(
    command: str, tmp_path: Path
) -> None:
    """No migrations: a table without a column this version reads would fail every request, so
    start-up refuses it in one line (gateway.store.db.SchemaOutdated)."""
    import sqlite3

    data = tmp_path / "data"
    assert run_gateway("init-db", "--data-dir", str(data), cwd=tmp_path).returncode == 0
    with sqlite3.connect(data / "gateway.sqlite3") as db:
        db.execute("ALTER TABLE order_references DROP COLUMN seller_note")
    done = run_gateway(*command_args(command, tmp_path), "--data-dir", str(data), cwd=tmp_path)
    assert_one_line_failure(done, "earlier version", "order_references: seller_note")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_sqlite_file_is_refused_in_one_line(command: str, tmp_path: Path) -> None:
    """A file that is not a SQLite database (damaged, or another program's) is named with what to
    do, not a traceback (gateway.store.db.DatabaseUnreadable)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "gateway.sqlite3").write_bytes(bytes(range(256)) * 20)
    done = run_gateway(*command_args(command, tmp_path), "--data-dir", str(data), cwd=tmp_path)
    assert_one_line_failure(done, "cannot read the database", "file is not a database")
