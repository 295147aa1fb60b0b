"""Every runnable code block of README.md and docs/*.md runs, as written, twice in a row.

The convention (stated in the README): blocks fenced ``python`` or ``sh`` are run; ``text``
(output, or a fragment that needs your own data), ``console`` (commands that install or change
your machine) and ``mermaid`` are not. A block fenced with anything else, or with nothing, fails
here, so every block is a decision.

One ``gateway serve`` (default seed, background worker on) serves the whole module on a free
port. The blocks are written for the default address, http://127.0.0.1:8080, so each block's
text has ``8080`` replaced by that port before it runs: the one change made to what a reader
copies. Each run is a fresh process in a fresh folder with no ``GATEWAY_*`` variables, Python
blocks under this interpreter, shell blocks under ``bash -euo pipefail`` with this interpreter's
``bin`` folder first on ``PATH`` (as after ``. .venv/bin/activate``). Running twice catches
examples that only work on a fresh server (reused reference ids, one-off state).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import GatewayServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = {"python", "sh"}
NOT_RUN = {"text", "console", "mermaid"}
DEFAULT_PORT = "8080"
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(page, line, match.group(1), match.group(2)))
    return found


RUNNABLE_BLOCKS = [b for b in blocks() if b.language in RUNNABLE]


def test_every_block_is_marked_run_or_not_run() -> None:
    unmarked = [b.name for b in blocks() if b.language not in RUNNABLE | NOT_RUN]
    assert unmarked == [], f"fence these as one of {sorted(RUNNABLE | NOT_RUN)}"
    assert len(RUNNABLE_BLOCKS) >= 10  # the README's and the pages' examples are all found


def test_the_docs_point_nowhere_outside_the_repository() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "amazon-wire" not in text and "§" not in text, page
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayServer]:
    """``gateway serve`` as a reader starts it: SQLite in its data dir, on either backend's run
    (the session's PostgreSQL database belongs to the function-scoped tests beside this one)."""
    folder = tmp_path_factory.mktemp("docs-server")
    live = GatewayServer(
        folder / "data", log_path=folder / "server.log", scheduler=True, seeded=True
    )
    try:
        yield live.start()
    finally:
        live.stop()


def run_block(block: Block, port: int, folder: Path) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    code = block.code.replace(DEFAULT_PORT, str(port))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if block.language == "python":
        script = folder / "block.py"
        command = [sys.executable, str(script)]
    else:
        script = folder / "block.sh"
        command = ["bash", "-euo", "pipefail", str(script)]
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize("block", RUNNABLE_BLOCKS, ids=lambda b: b.name)
def test_the_block_runs_twice(block: Block, server: GatewayServer, tmp_path: Path) -> None:
    assert server.port is not None
    for attempt in (1, 2):
        done = run_block(block, server.port, tmp_path / f"run{attempt}")
        assert done.returncode == 0, (
            f"{block.name} failed on run {attempt} (exit {done.returncode}):\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
