"""Fuzzing (issue 11): no request of any shape gets a 5xx, a traceback or an answer in the wrong
format, on either emulated API or the control API, in process and through a real server.

Bounded for the suite (``EXAMPLES``; ``GATEWAY_FUZZ_EXAMPLES`` sets another count for every
test here) and derandomized, so a run sends the same calls every time. Each test writes its
figures (requests per API, answers by status class, problems by kind) to
``.pytest_cache/d/fuzz/<test>-<backend>.json``; a failure lists every distinct problem with its
shortest reproduction. ``python -m bench.fuzz --minutes 10`` is the long run of the same.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.fuzz.explore import Call, Fuzzer
from tests.fuzz.strategies import (
    FPS,
    OFFAMAZON,
    control_calls,
    control_routes,
    query_calls,
)
from tests.fuzz.tally import Tally, failures_text, table
from tests.fuzz.transports import InProcess
from tests.fuzz.world import FuzzWorld
from tests.support.databases import POSTGRES_URL_ENV

#: Calls per test: together about 4 s of CPU in the test process per backend (plus the server's
#: own), a guard against regressions in the suite. The search itself is ``python -m bench.fuzz``
#: (minutes of calls per backend), which found every fuzzing bug so far.
EXAMPLES = {"offamazon": 120, "fps": 120, "control": 90, "server": 60}
BACKEND = "postgresql" if os.environ.get(POSTGRES_URL_ENV) else "sqlite"


def examples(test: str) -> int:
    return int(os.environ.get("GATEWAY_FUZZ_EXAMPLES") or EXAMPLES[test])


# A quarter of a second per call at most (a loaded machine, PostgreSQL), never less than the
# suite's usual 120 s: so a run scaled up with GATEWAY_FUZZ_EXAMPLES is not cut short.
pytestmark = pytest.mark.timeout(max(120, max(examples(test) for test in EXAMPLES) // 4))


def _finish(request: pytest.FixtureRequest, name: str, tally: Tally, calls: int) -> None:
    """Write the figures, then fail on any problem, or when too few calls got past validation
    (a fuzzer that only ever meets the schemas tests little)."""
    cache = getattr(request.config, "cache", None)  # none under -p no:cacheprovider
    if cache is not None:
        tally.write(cache.mkdir("fuzz") / f"{name}-{BACKEND}.json")
    print(f"\n{table([tally])}")
    succeeded = sum(row["2xx"] for row in tally.figures.values())
    assert succeeded > calls // 5, f"only {succeeded} of {calls} calls succeeded"
    problems = tally.problems
    assert problems == 0, f"{problems} problem(s):\n\n{failures_text(tally)}"


@pytest.mark.parametrize("api", ["offamazon", "fps", "control"])
def test_fuzzed_calls_in_process(api: str, app: Any, clock: Any, request: pytest.FixtureRequest):
    world = FuzzWorld(InProcess(app), clock.now, BACKEND).make()
    tally = Tally(BACKEND, "in-process")
    strategy: st.SearchStrategy[Call]
    if api == "control":
        strategy = control_calls(control_routes(app))
    else:
        strategy = query_calls(OFFAMAZON if api == "offamazon" else FPS)
    Fuzzer(world, tally).explore(strategy, examples(api))
    _finish(request, f"in-process-{api}", tally, examples(api))


@pytest.mark.e2e
def test_fuzzed_calls_through_a_server(live_server: Any, app: Any, request: pytest.FixtureRequest):
    """The same calls through gunicorn: its own answers (request line, body size, keep-alive)
    and the server's log are judged too."""
    world = FuzzWorld.for_server(live_server.port, live_server.log_path, BACKEND)
    tally = Tally(BACKEND, "server")
    fuzzer = Fuzzer(world, tally)
    apis = (query_calls(OFFAMAZON), query_calls(FPS), control_calls(control_routes(app)))
    for strategy in apis:  # a third each (drawn from one mix, the shares vary widely)
        fuzzer.explore(strategy, examples("server") // len(apis))
    fuzzer.sweep_log()
    _finish(request, "server", tally, examples("server"))


def test_the_control_api_is_fuzzed_with_its_own_schemas(app: Any):
    """Every control route's bodies and query strings are drawn from the marshmallow schemas its
    OpenAPI operation names: each body a route takes resolves to a schema (or is described
    inline, a document drawn as any JSON), and the routes that take one are found."""
    endpoints = [
        (method, endpoint)
        for route in control_routes(app)
        for method, endpoint in route.endpoints
        if method in ("POST", "PUT", "PATCH")
    ]
    bodies = {endpoint.name for _, endpoint in endpoints if endpoint.body is not None}
    assert {
        "merchants.new_merchant",
        "control.advance_clock",
        "orders.new_order_reference",
    } <= bodies
    unresolved = [
        (method, endpoint.name)
        for method, endpoint in endpoints
        if endpoint.takes_body and endpoint.body is None and not _inline_body(app, endpoint.name)
    ]
    assert unresolved == []


def _inline_body(app: Any, endpoint: str) -> bool:
    doc = app.view_functions[endpoint].__doc__ or ""
    return "schema: {" in doc
