"""The per-process machinery of IPN delivery: a bounded thread pool and a change signal.

One merchant's notifications go out one at a time on one pool thread (so they arrive in order,
and a hanging receiver holds only its own merchant); different merchants post in parallel, at
most ``settings.ipn_delivery_threads`` at once. Kept in ``runtime.services``, never in a module
global (STYLE 7.17). No Flask here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

SERVICE_NAME = "ipn.dispatcher"


class Dispatcher:
    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ipn")
        self._lock = threading.Condition()
        #: Merchants with a batch reserved or running in this process.
        self._busy: set[int] = set()
        #: Notified whenever this process settles a delivery (waiters re-check then).
        self._changes = threading.Condition()

    def reserve(self, merchant_id: int) -> bool:
        """Take the merchant's slot; False when a batch of it is still going out here."""
        with self._lock:
            if merchant_id in self._busy:
                return False
            self._busy.add(merchant_id)
            return True

    def release(self, merchant_id: int) -> None:
        with self._lock:
            self._busy.discard(merchant_id)
            self._lock.notify_all()

    def submit(self, merchant_id: int, work: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``work(*args)`` on the pool for a reserved merchant; the slot frees when done."""

        def run() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("IPN delivery batch for merchant %s failed", merchant_id)

        try:
            future = self._pool.submit(run)
        except RuntimeError:  # pool shut down
            self.release(merchant_id)
            raise
        future.add_done_callback(lambda _done: self.release(merchant_id))
        return future

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no batch is reserved or running in this process (tests, shutdown)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._busy, timeout)

    def changed(self) -> None:
        with self._changes:
            self._changes.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        """Sleep until this process settles a delivery, or ``timeout`` seconds pass."""
        with self._changes:
            self._changes.wait(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def dispatcher_for(services: dict[str, Any], threads: int) -> Dispatcher:
    """The process's dispatcher, made on first use."""
    found = services.get(SERVICE_NAME)
    if found is None:
        found = services.setdefault(SERVICE_NAME, Dispatcher(threads))
    dispatcher: Dispatcher = found
    return dispatcher
