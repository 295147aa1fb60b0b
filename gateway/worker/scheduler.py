"""The APScheduler wiring: one interval job that runs ``gateway.worker.sweep``.

Domain state lives in our tables, never in APScheduler's job store (a persistent job store
shared by processes is unsupported: APScheduler 3 FAQ), so the default memory store is used and
any number of worker processes may sweep one database: each transition is a compare-and-set.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from gateway.runtime import Runtime
from gateway.worker.sweep import sweep

log = logging.getLogger(__name__)


def _safe_sweep(runtime: Runtime) -> None:
    # A failing sweep is logged and tried again at the next tick; it must not stop the job.
    try:
        sweep(runtime)
    except Exception:
        log.exception("sweep failed; retrying at the next tick")


def build_scheduler(runtime: Runtime, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler with the sweep job (``max_instances=1``: sweeps never overlap in a process)."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    scheduler.add_job(
        _safe_sweep,
        "interval",
        seconds=runtime.settings.sweep_interval,
        args=[runtime],
        id="sweep",
        next_run_time=datetime.now(UTC),
    )
    return scheduler
