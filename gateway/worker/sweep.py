"""One scheduler tick: due work, then IPN delivery. No Flask here.

Its own module, apart from ``gateway.worker.jobs``: web workers apply due work (the sandbox clock
API) but never sweep, and need not load delivery and its HTTP client.
"""

from __future__ import annotations

from gateway.ipn.outbox import deliver_due
from gateway.runtime import Runtime
from gateway.worker.jobs import run_due_work


def sweep(runtime: Runtime) -> int:
    """Apply what is due, then hand due notifications to the delivery pool; returns how many
    transitions were applied."""
    applied = run_due_work(runtime)
    deliver_due(runtime)
    return applied
