"""Files and folders that hold secrets, readable by their owner alone whatever the umask.

The SQLite database holds every merchant's secret key and the data dir holds the IPN signing
key, so these are 0600 and a data dir the simulator creates is 0700. SQLite gives the journal
files it creates (``-wal``, ``-shm``, ``-journal``) the mode of the database file, so making the
database file private before SQLite first opens it makes them private too.

A file that exists already is tightened to 0600 if it let others in (a sandbox made by an older
version); an existing folder is left as its owner set it, since it may be any folder a user
named. Only ``os`` here: ``gateway serve``'s gunicorn master imports this through the settings.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) if needed; a folder made here is 0700.

    Raises ``OSError`` when it cannot be created.
    """
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR)
    except FileExistsError:
        return  # another process made it first, with this same function
    # mkdir's mode is filtered by the umask, which could also take the owner's bits.
    os.chmod(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Make ``path`` exist as a file that only its owner can read or write.

    A new file is created 0600. An existing one keeps its owner's bits and loses any that let
    others in; one of another user is left alone (it cannot be changed; opening it tells).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & ~stat.S_IRWXU:
            with contextlib.suppress(PermissionError):
                os.chmod(path, current & stat.S_IRWXU)
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # open's mode is filtered by the umask
    finally:
        os.close(fd)
