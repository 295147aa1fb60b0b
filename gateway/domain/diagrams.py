"""Mermaid state diagrams drawn from the transition tables (docs/lifecycle.md shows these).

``python -m gateway.domain.diagrams`` prints them, for every kind of the full registry
(``gateway.composition``), in the order installed; a test checks that docs/lifecycle.md has them
verbatim, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from gateway.composition import build_registry
from gateway.registry import Kind, Registry


def mermaid(kind: Kind) -> str:
    lines = ["```mermaid", "stateDiagram-v2"]
    table = kind.transitions
    initial = sorted(kind.initial)
    lines += [f"    [*] --> {state}" for state in initial]
    for state in table:
        lines += [f"    {state} --> {target}" for target in sorted(table[state])]
    lines.append("```")
    return "\n".join(lines)


def all_diagrams(registry: Registry) -> str:
    return "\n\n".join(f"{kind.name}:\n\n{mermaid(kind)}" for kind in registry.kinds.values())


if __name__ == "__main__":
    print(all_diagrams(build_registry()))
