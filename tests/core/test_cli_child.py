"""``gateway serve`` prepares the database in a forked child (``gateway.cli._in_child_process``):
its output, failures and exit status reach the command as if the step had run in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_step(body: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, click\n"
        "from gateway.cli import _in_child_process\n"
        "def step():\n"
        f"    {body}\n"
        "_in_child_process(step)\n"
        "print('after', flush=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_a_step_that_succeeds_prints_and_the_command_goes_on() -> None:
    done = run_step("print('banner')")
    assert (done.returncode, done.stdout) == (0, "banner\nafter\n")


@pytest.mark.parametrize(
    ("body", "status", "stderr"),
    [
        ("raise ValueError('no database')", 1, "ValueError: no database"),
        ("sys.exit(3)", 3, ""),
        ("sys.exit('bad settings')", 1, "bad settings"),
        ("raise click.ClickException('bad option')", 1, "Error: bad option"),
    ],
)
def test_a_failing_step_ends_the_command_with_its_status(
    body: str, status: int, stderr: str
) -> None:
    done = run_step(body)
    assert done.returncode == status
    assert "after" not in done.stdout
    assert stderr in done.stderr


def test_a_step_exiting_zero_lets_the_command_go_on() -> None:
    done = run_step("sys.exit(0)")
    assert (done.returncode, done.stdout) == (0, "after\n")
