"""A merchant whose clock is days ahead still gets IPNs a correct receiver accepts: the SNS
envelope's Timestamp is the real time of sending (what receivers check for freshness), while the
notified objects carry the merchant's simulated times. Then the clock is reset to real time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clients.ipn import IpnVerifier
from clients.notifications import Notification
from clients.receiver import IpnReceiver, ReceiverServer
from clients.responses import RefundDetails
from tests.e2e.servers import LiveServer
from tests.e2e.test_ipn_e2e import Shop

pytestmark = pytest.mark.e2e

AHEAD = timedelta(days=3)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "data", database_url)
    try:
        yield live.start()
    finally:
        live.stop()


def refund_notice(refund_id: str) -> object:
    def match(notification: Notification) -> bool:
        details = notification.details
        return isinstance(details, RefundDetails) and details.amazon_refund_id == refund_id

    return match


def test_a_receiver_accepts_ipns_of_a_merchant_days_ahead(server: LiveServer) -> None:
    # The project's own verifier, with its one-hour age check against the real clock.
    receiver = IpnReceiver(IpnVerifier(allowed_cert_hosts=[server.url]))
    with ReceiverServer(receiver) as endpoint:
        shop = Shop(server, endpoint.url)
        shop.advance(AHEAD.total_seconds())
        _, capture_id = shop.captured_order()
        refund_id = shop.refund(capture_id, "10.00")
        shop.advance(10)
        [notice] = receiver.wait_for(1, timeout=30, predicate=refund_notice(refund_id))  # type: ignore[arg-type]
        assert receiver.rejections == []

        real_now = datetime.now(UTC)
        assert abs(notice.timestamp - real_now) < timedelta(minutes=5)  # sent now
        details = notice.details
        assert isinstance(details, RefundDetails) and details.creation_timestamp is not None
        assert details.creation_timestamp - real_now > AHEAD - timedelta(minutes=5)  # simulated

        clock = server.sandbox("post", f"/merchants/{shop.seller_id}/clock/reset")
        assert (clock["offset_seconds"], clock["frozen"]) == (0, False)
        merchant_now = datetime.strptime(clock["now"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs(merchant_now - datetime.now(UTC)) < timedelta(minutes=1)
