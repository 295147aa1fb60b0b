"""docs/lifecycle.md shows the state diagrams exactly as ``python -m gateway.domain.diagrams``
prints them (run as a reader would run it, so import order cannot change what is compared)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "lifecycle.md"


def test_the_lifecycle_page_has_the_diagrams_the_command_prints():
    printed = subprocess.run(
        [sys.executable, "-m", "gateway.domain.diagrams"],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=60,
    ).stdout  # fmt: skip
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("<!-- diagrams:start -->") + len("<!-- diagrams:start -->")
    end = text.index("<!-- diagrams:end -->")
    assert text[start:end].strip() == printed.strip(), (
        "regenerate with: python -m gateway.domain.diagrams"
    )
