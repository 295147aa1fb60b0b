"""Counting what a fuzzing run sent and got, per API, and keeping one example of each failure.

Figures per API (and backend, and whether in process or through a server): requests sent,
answers by status class, and requests with each kind of problem (``oracle.KINDS``). Failures are
grouped by API, kind and what was seen (quoted values and long numbers left out), each group
keeping its count, the actions or routes it hit, and its shortest reproduction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.calls import APIS, Sent, describe, short
from tests.fuzz.oracle import KINDS, Problem, code_of
from tests.fuzz.transports import Reply

COLUMNS = ("sent", "2xx", "4xx", "other", *KINDS)


@dataclass
class Failure:
    api: str
    kind: str
    detail: str
    count: int = 0
    labels: set[str] = field(default_factory=set)
    example: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "kind": self.kind,
            "detail": self.detail,
            "count": self.count,
            "calls": sorted(self.labels),
            "example": self.example,
        }


def _stable(detail: str) -> str:
    """``detail`` without what differs from one request to the next (values, ids, sizes)."""
    detail = re.sub(r"b?'[^']*'|b?\"[^\"]*\"", "…", detail)
    detail = re.sub(r"\d{4,}", "N", detail)
    return re.sub(r"\(request [^)]*\)", "", detail)[:200]


def reproduction(sent: Sent, reply: Reply) -> str:
    body = short(reply.body.decode("utf-8", "replace"), 300)
    answer = f"  -> {reply.status} {reply.content_type or '(no Content-Type)'} {body}"
    incidents = [f"  -> {text}" for text in reply.incidents]
    return "\n".join([describe(sent), answer, *incidents])


@dataclass
class Tally:
    backend: str
    via: str
    figures: dict[str, dict[str, int]] = field(
        default_factory=lambda: {api: dict.fromkeys(COLUMNS, 0) for api in APIS}
    )
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)

    def record(self, sent: Sent, reply: Reply, problems: list[Problem]) -> None:
        row = self.figures[sent.api]
        row["sent"] += 1
        status_class = f"{reply.status // 100}xx"
        if status_class in ("2xx", "4xx"):
            row[status_class] += 1
        elif 100 <= reply.status < 500:
            row["other"] += 1
        for kind in {p.kind for p in problems}:
            row[kind] += 1
        for problem in problems:
            self._keep(sent, reply, problem)

    def _keep(self, sent: Sent, reply: Reply, problem: Problem) -> None:
        detail = _stable(problem.detail)
        key = (sent.api, problem.kind, detail)
        failure = self.failures.setdefault(key, Failure(sent.api, problem.kind, detail))
        failure.count += 1
        failure.labels.add(f"{sent.label.split(' signed ')[0]} -> {reply.status} {code_of(reply)}")
        example = reproduction(sent, reply)
        if not failure.example or len(example) < len(failure.example):
            failure.example = example

    def unattributed(self, kind: str, detail: str) -> None:
        """A problem no request can be blamed for (a traceback logged after the last answer)."""
        key = ("server", kind, _stable(detail))
        failure = self.failures.setdefault(key, Failure("server", kind, _stable(detail)))
        failure.count += 1
        failure.example = failure.example or detail

    @property
    def problems(self) -> int:
        return sum(f.count for f in self.failures.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "via": self.via,
            "apis": {api: row for api, row in self.figures.items() if row["sent"]},
            "failures": [f.as_json() for f in self.failures.values()],
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")

    def merge(self, other: Tally) -> None:
        for api, row in other.figures.items():
            for column, count in row.items():
                self.figures[api][column] += count
        for key, failure in other.failures.items():
            mine = self.failures.setdefault(key, Failure(failure.api, failure.kind, failure.detail))
            mine.count += failure.count
            mine.labels |= failure.labels
            if not mine.example or len(failure.example) < len(mine.example):
                mine.example = failure.example


def table(tallies: list[Tally]) -> str:
    """The figures as a text table: one row per API, backend and transport."""
    header = ("api", "backend", "via", *COLUMNS)
    rows: list[tuple[str, ...]] = [header]
    for tally in tallies:
        for api, row in tally.figures.items():
            if row["sent"]:
                rows.append((api, tally.backend, tally.via, *(str(row[c]) for c in COLUMNS)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


def failures_text(tally: Tally) -> str:
    """Each distinct failure: how often, on which calls, and its shortest reproduction."""
    parts = []
    for failure in sorted(tally.failures.values(), key=lambda f: (f.api, f.kind, -f.count)):
        calls = "; ".join(sorted(failure.labels)[:6])
        more = f" (+{len(failure.labels) - 6} more)" if len(failure.labels) > 6 else ""
        parts.append(
            f"[{failure.api} {failure.kind}] {failure.detail}\n"
            f"  {failure.count} request(s); calls: {calls}{more}\n{failure.example}"
        )
    return "\n\n".join(parts)
