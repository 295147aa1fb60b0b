"""Notifications that cannot be rendered or posted end ``failed`` with the reason in their attempt
log, after a bounded number of tries; they never stay ``in_flight`` to be claimed again and again.

The impossible URLs are written into the merchant's row directly, as a row stored before the
sandbox API checked them would hold them. Both renderers: Amazon Pay's SNS envelope (which never
parses the URL) and FPS's signed form (which signs the URL's host and path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.store.models import Merchant, Notification, NotificationAttempt
from tests.fps.helpers import FpsApi
from tests.helpers import MerchantCredentials, SignedApi
from tests.support.sink import Sink

IMPOSSIBLE_URLS = [
    "http://127.0.0.1:99999/ipn",  # port out of range
    "http://127.0.0.1:0/ipn",  # port 0
    "http://999.999.999.999/ipn",  # no such address
    "http://[::1/ipn",  # unclosed IPv6 bracket: urlsplit raises
    "http://h:abc/ipn",  # a port that is not a number
    "ftp://127.0.0.1/ipn",  # not HTTP
]
#: More than the longest retry wait of the compressed schedule (60 s cap + 25 % jitter).
PAST_ANY_RETRY = 100


def store_ipn_url(runtime: Runtime, merchant: MerchantCredentials, url: str) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(Merchant).where(Merchant.seller_id == merchant.seller_id).values(ipn_url=url)
        )


def oap_notification(api: SignedApi, app: Any, merchant: MerchantCredentials) -> None:
    api.open_authorization()  # the authorization's Open notification


def fps_notification(api: SignedApi, app: Any, merchant: MerchantCredentials) -> None:
    fps = FpsApi(app.test_client(), merchant, api.clock)
    fps.ok("CancelToken", TokenId=fps.install_token())  # a TokenCancellation notification


NOTIFY: dict[str, Callable[[SignedApi, Any, MerchantCredentials], None]] = {
    "sns": oap_notification,
    "fps": fps_notification,
}


def delivery(runtime: Runtime) -> tuple[list[tuple[str, int]], list[tuple[str, str | None]]]:
    """Each row's (delivery state, claims), and each attempt's (outcome, error)."""
    with runtime.db.session(write=False) as session:
        rows = [
            (row.delivery_state, row.attempt_count)
            for row in session.scalars(select(Notification).order_by(Notification.id))
        ]
        attempts = [
            (a.outcome, a.error)
            for a in session.scalars(select(NotificationAttempt).order_by(NotificationAttempt.id))
        ]
    return rows, attempts


@pytest.mark.parametrize("kind", sorted(NOTIFY))
@pytest.mark.parametrize("url", IMPOSSIBLE_URLS)
def test_an_impossible_url_fails_the_notification_once_with_its_reason(
    api, app, merchant, runtime, clock: FrozenClock, deliver, caplog, kind, url
):
    store_ipn_url(runtime, merchant, url)
    NOTIFY[kind](api, app, merchant)
    with caplog.at_level(logging.WARNING):
        assert deliver() == 1
        rows, attempts = delivery(runtime)
        assert rows == [("failed", 1)]
        ((outcome, error),) = attempts
        assert outcome == "failed"
        assert error
        # Past the claim's lease and any retry: nothing is claimed again.
        clock.advance(runtime.settings.ipn_claim_lease_seconds + PAST_ANY_RETRY)
        assert deliver() == 0
    assert delivery(runtime) == (rows, attempts)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@pytest.mark.parametrize("kind", sorted(NOTIFY))
def test_with_retry_all_an_impossible_url_still_fails_at_the_horizon(
    api, app, merchant, runtime, clock: FrozenClock, deliver, configure, kind
):
    configure(ipn_retry_all=True)
    runtime.settings = runtime.settings.replace(
        ipn_retry_base_seconds=1, ipn_retry_max_interval_seconds=1, ipn_retry_horizon_seconds=10
    )
    store_ipn_url(runtime, merchant, "http://127.0.0.1:99999/ipn")
    NOTIFY[kind](api, app, merchant)
    for _ in range(20):
        deliver()
        clock.advance(2)
    rows, attempts = delivery(runtime)
    ((state, _),) = rows
    assert state == "failed"
    assert attempts and attempts[-1][0] == "failed"
    assert all(error for _, error in attempts)


def test_an_answer_with_a_nul_byte_is_logged_and_settles(
    api, runtime, deliver, configure, clock: FrozenClock
):
    """PostgreSQL text cannot hold NUL: an answer snippet that kept one failed the transaction
    that logs attempts, and the posted row was claimed and posted again at every lease end."""
    with Sink(answer=b"ok\x00done") as sink:
        configure(ipn_url=sink.url)
        api.open_authorization()
        assert deliver() == 1
    rows, attempts = delivery(runtime)
    assert rows == [("delivered", 1)]
    assert [outcome for outcome, _ in attempts] == ["acknowledged"]
    with runtime.db.session(write=False) as session:
        snippet = session.scalar(select(NotificationAttempt.response_snippet))
    assert snippet is not None and snippet.startswith("ok") and "\x00" not in snippet
