"""Files that hold secrets (the SQLite database with every merchant's secret key, its journal
files, the IPN signing key) are the owner's alone, 0600 in a 0700 data dir, whatever the umask.

SQLite, in process, on both passes of the suite: the files are the same whichever database a
pass tests.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.domain.merchants import create_merchant
from gateway.ipn.keys import KEY_FILE
from gateway.runtime import Runtime

DATABASE = "gateway.sqlite3"


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask, under which new files are 0644 and new folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def started(data_dir: Path, database_url: str = "") -> Runtime:
    """A runtime that has initialized its data dir and written to its database."""
    runtime = Runtime.from_settings(
        Settings(data_dir=data_dir, database_url=database_url, seed_dir="")
    )
    runtime.initialize()
    runtime.db.run(lambda session: create_merchant(session, runtime.ids, runtime.clock.now()))
    return runtime


def test_a_new_data_dir_and_every_file_in_it_are_private(tmp_path):
    data_dir = tmp_path / "new" / "data"
    runtime = started(data_dir)
    try:
        # While a connection is open: the WAL and shared-memory files exist.
        files = {path.name: mode(path) for path in data_dir.iterdir()}
    finally:
        runtime.db.dispose()
    assert mode(data_dir) == 0o700
    expected = {DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", f"{DATABASE}.write-lock", KEY_FILE}
    assert expected <= files.keys()
    assert files == dict.fromkeys(files, 0o600)


def test_a_database_outside_the_data_dir_is_private_too(tmp_path):
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    runtime = started(tmp_path / "data", f"sqlite:///{elsewhere / 'sandbox.db'}")
    try:
        files = {path.name: mode(path) for path in elsewhere.iterdir()}
    finally:
        runtime.db.dispose()
    assert "sandbox.db" in files
    assert files == dict.fromkeys(files, 0o600)
    assert mode(elsewhere) == 0o755  # a folder the user made is theirs to set


def test_files_an_older_version_left_readable_are_made_private(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    started(data_dir).db.dispose()
    for path in data_dir.iterdir():
        path.chmod(0o644)  # as created before the simulator made them private
    runtime = started(data_dir)
    try:
        files = {path.name: mode(path) for path in data_dir.iterdir()}
    finally:
        runtime.db.dispose()
    assert files == dict.fromkeys(files, 0o600)
    assert mode(data_dir) == 0o755  # an existing folder is left as its owner made it
