"""The README's state diagrams are the transition tables, verbatim."""

from pathlib import Path

from gateway.composition import build_registry
from gateway.domain.diagrams import all_diagrams

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_state_diagrams_match_the_transition_tables():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- diagrams:start -->") + len("<!-- diagrams:start -->")
    end = text.index("<!-- diagrams:end -->")
    assert text[start:end].strip() == all_diagrams(build_registry()).strip(), (
        "regenerate with: python -m gateway.domain.diagrams"
    )
