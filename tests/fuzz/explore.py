"""Running hypothesis over fuzzed calls: each drawn call is sent, judged and counted.

The property never fails an example: every problem is counted and kept (one shortest example of
each), so that one run reports every distinct failure, and its cost does not depend on what it
finds (no shrinking, which re-sends requests for minutes). Without a seed the run is
derandomized: the same calls in the same order on every run, as CI needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st

from tests.fuzz.calls import ControlCall, QueryCall
from tests.fuzz.oracle import judge
from tests.fuzz.tally import Tally
from tests.fuzz.transports import ServerLog
from tests.fuzz.world import FuzzWorld

Call = QueryCall | ControlCall


@dataclass
class Fuzzer:
    world: FuzzWorld
    tally: Tally
    #: ``time.monotonic()`` after which drawn calls are no longer sent (None: no limit).
    deadline: float | None = None

    def visit(self, call: Call) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return
        sent = call.to_wire(self.world)
        reply = self.world.send(sent)
        self.tally.record(sent, reply, judge(sent, reply))

    def sweep_log(self) -> None:
        """Tracebacks the server logged after the last answer was read."""
        log = getattr(self.world.transport, "log", None)
        if isinstance(log, ServerLog):
            for line in log.tracebacks():
                self.tally.unattributed("traceback", f"traceback in the server log: {line}")

    def explore(
        self, strategy: st.SearchStrategy[Call], examples: int, seed: int | None = None
    ) -> None:
        """Send ``examples`` calls drawn from ``strategy`` (derandomized unless ``seed``)."""

        @settings(
            max_examples=examples,
            derandomize=seed is None,
            database=None,
            deadline=None,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(strategy)
        def send_each(call: Call) -> None:
            self.visit(call)

        if seed is not None:
            send_each = with_seed(seed)(send_each)
        send_each()
