"""The renderer registry: another transport plugs in by NotificationType; unknown types fail.
Installing a kind, due work or a renderer twice is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.composition import build_registry, install_fps
from gateway.ipn.envelope import Outgoing, RenderContext
from gateway.store.models import Merchant, Notification, NotificationAttempt


def add_notification(runtime, clock, notification_type: str) -> int:
    def work(session):
        merchant = session.scalars(select(Merchant)).one()
        row = Notification(
            merchant_id=merchant.id,
            notification_type=notification_type,
            object_kind="FpsTransaction",
            object_id="TX123",
            state="Success",
            changed_at=clock.now(),
            created_at=clock.now(),
            next_attempt_at=clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id

    row_id: int = runtime.db.run(work)
    return row_id


def test_a_registered_renderer_is_posted_as_it_renders(
    runtime, clock, merchant, receiver, configure, deliver
):
    def form_ipn(ctx: RenderContext) -> Outgoing:
        body = f"transactionId={ctx.notification.object_id}&status=SUCCESS".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return Outgoing(f"fps-{ctx.notification.id}", headers, body)

    runtime.registry.add_renderer("FpsTransactionStatus", form_ipn)
    configure(ipn_url=receiver.url)
    add_notification(runtime, clock, "FpsTransactionStatus")
    deliver()
    (received,) = receiver.received
    assert received.body == b"transactionId=TX123&status=SUCCESS"
    assert received.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_a_type_nobody_renders_fails_with_the_reason_logged(
    runtime, clock, merchant, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    notification_id = add_notification(runtime, clock, "NoSuchType")
    deliver()
    assert receiver.received == []
    with runtime.db.session(write=False) as session:
        row = session.get(Notification, notification_id)
        (attempt,) = session.scalars(select(NotificationAttempt))
        assert row.delivery_state == "failed"
        assert attempt.outcome == "failed" and "NoSuchType" in attempt.error


def test_a_product_is_installed_once():
    registry = build_registry()
    with pytest.raises(ValueError, match="installed twice"):
        install_fps(registry)


def test_each_registry_is_its_own(runtime):
    other = build_registry()
    other.add_renderer("FpsTransactionStatus", lambda ctx: Outgoing("x", {}, b""))
    assert runtime.registry.renderer("FpsTransactionStatus") is None
    assert list(other.kinds) == list(runtime.registry.kinds)
