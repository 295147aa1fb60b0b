"""Mermaid state diagrams drawn from the transition tables (docs/lifecycle.md shows these).

``python -m gateway.domain.diagrams`` prints them; a test checks that docs/lifecycle.md has them
verbatim, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from gateway.domain.states import INITIAL_STATES, TRANSITIONS


def mermaid(kind: str) -> str:
    lines = ["```mermaid", "stateDiagram-v2"]
    table = TRANSITIONS[kind]
    initial = sorted(INITIAL_STATES[kind])
    lines += [f"    [*] --> {state}" for state in initial]
    for state in table:
        lines += [f"    {state} --> {target}" for target in sorted(table[state])]
    lines.append("```")
    return "\n".join(lines)


def all_diagrams() -> str:
    return "\n\n".join(f"{kind}:\n\n{mermaid(kind)}" for kind in TRANSITIONS)


if __name__ == "__main__":
    import gateway.fps  # noqa: F401  (registers the FPS kinds, as gateway.runtime does)

    print(all_diagrams())
