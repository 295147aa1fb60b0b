"""The per-process machinery of IPN delivery: a bounded thread pool, a keep-alive HTTP transport
per pool thread, and a change signal.

One merchant's notifications go out one at a time on one pool thread (so they arrive in order,
and a hanging receiver holds only its own merchant); different merchants post in parallel, at
most ``settings.ipn_delivery_threads`` at once. A merchant with more due rows than one batch
keeps its slot and queues its next batch behind the other merchants' (round robin, not one
merchant's backlog first). Each pool thread posts through its own ``Transport``, so
consecutive posts to one receiver reuse a connection. Kept on the ``Runtime`` (made on first
use), never in a module global (STYLE 7.17). No Flask here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where a pool thread makes its transport: every process imports this module with
    # the runtime, and a web worker must not load the HTTP client with it.
    from gateway.ipn.transport import Transport

log = logging.getLogger(__name__)

#: A batch's work: returns the merchant's next batch to run, or None when the merchant is done.
Work = Callable[[], "Work | None"]


class _ThreadHttp(threading.local):
    transport: Transport | None = None


#: Makes a pool thread's transport (tests route posts in process: ``gateway.testing``).
TransportFactory = Callable[[], "Transport"]


class Dispatcher:
    def __init__(self, threads: int, transport: TransportFactory | None = None) -> None:
        self._transport = transport
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ipn")
        self._lock = threading.Condition()
        #: Merchants with a batch reserved or running in this process.
        self._busy: set[int] = set()
        #: Notified whenever this process settles a delivery (waiters re-check then).
        self._changes = threading.Condition()
        self._http = _ThreadHttp()
        #: Every thread's transport, closed with the pool.
        self._transports: list[Transport] = []

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

    def submit(self, merchant_id: int, work: Work) -> None:
        """Run ``work`` on the pool for a reserved merchant, then whatever batch it returns;
        the slot frees when a batch returns None (or fails)."""
        try:
            self._pool.submit(self._run, merchant_id, work)
        except RuntimeError:  # pool shut down
            self.release(merchant_id)
            raise

    def _run(self, merchant_id: int, work: Work) -> None:
        try:
            follow = work()
        except Exception:
            log.exception("IPN delivery batch for merchant %s failed", merchant_id)
            follow = None
        if follow is None:
            self.release(merchant_id)
            return
        try:
            self._pool.submit(self._run, merchant_id, follow)
        except RuntimeError:  # shut down meanwhile: the rows' leases end and they are retaken
            self.release(merchant_id)

    def http(self) -> Transport:
        """This pool thread's keep-alive transport."""
        transport = self._http.transport
        if transport is None:
            if self._transport is not None:
                transport = self._transport()
            else:
                from gateway.ipn.transport import Transport

                transport = Transport()
            self._http.transport = transport
            with self._lock:
                self._transports.append(transport)
        return transport

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
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.clear()
