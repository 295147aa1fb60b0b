"""One request of an emulated API on its way to an answer, whatever its wire: its request id,
when it came, whose it is, and its journal entry. No Flask here.

The SigV2 query pipeline (``gateway.wire.pipeline``) and the API v2 edge (``gateway.v2.edge``)
both answer through one: the request id in the answer and in the journal are the same, the
latency is measured from the moment the request was taken up, and a request is the merchant's
whose credentials it names once they are looked up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.errors import InternalServerError
from gateway.wire.journal import Entry

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Exchange:
    runtime: Runtime
    #: The service's name (journal, logs).
    service: str
    #: The merchant whose credentials the request names, once known.
    merchant_id: int | None = None
    request_id: str = field(init=False)
    received_at: datetime = field(init=False)
    started: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.started = time.perf_counter()
        self.received_at = self.runtime.clock.now()
        self.request_id = self.runtime.ids.request_id()

    def journal(
        self,
        params: Mapping[str, str],
        status: int,
        code: str | None = None,
        message: str | None = None,
        string_to_sign: str | None = None,
    ) -> None:
        """Record the answered request in the journal (when it is kept)."""
        if not self.runtime.journal.enabled:
            return
        self.runtime.journal.record(
            Entry(
                merchant_id=self.merchant_id,
                received_at=self.received_at,
                service=self.service,
                params=params,
                status=status,
                latency_ms=(time.perf_counter() - self.started) * 1000,
                request_id=self.request_id,
                error_code=code,
                error_message=message,
                string_to_sign=string_to_sign,
            )
        )

    def internal_error(self, what: str) -> InternalServerError:
        """Log the exception being handled and give the error to answer for it."""
        log.exception("unexpected error in %s %s (request %s)", self.service, what, self.request_id)
        return InternalServerError(f"An internal error occurred (request {self.request_id}).")
