"""State survives a restart of the server process (same database, new process)."""

from __future__ import annotations

import pytest

from tests.core.test_sdk_e2e import Flow, details

pytestmark = [pytest.mark.e2e, pytest.mark.sdk]


def test_state_survives_a_restart(own_server):
    first = own_server().start()
    try:
        merchant = first.new_merchant(store_name="restart")
        flow = Flow(first, merchant, first.sdk(merchant))
        capture_id = flow.capture("80.00")
        refund_id = details(flow.refund(capture_id, "30.00", "ref-before"), "Refund")[
            "AmazonRefundId"
        ]
        open_auth = flow.authorization("20.00")
        draft = flow.draft()
        before = {
            "capture": details(flow.client.get_capture_details(capture_id), "Capture"),
            "refund": details(flow.client.get_refund_details(refund_id), "Refund"),
            "auth": details(flow.client.get_authorization_details(open_auth), "Authorization"),
            "draft": details(flow.client.get_order_reference_details(draft), "OrderReference"),
        }
    finally:
        first.stop()
    assert first.process is None

    second = own_server(data_dir=first.data_dir, database_url=first.database_url).start()
    client = second.sdk(merchant)  # the same credentials still work
    flow = Flow(second, merchant, client)
    after = {
        "capture": details(client.get_capture_details(capture_id), "Capture"),
        "refund": details(client.get_refund_details(refund_id), "Refund"),
        "auth": details(client.get_authorization_details(open_auth), "Authorization"),
        "draft": details(client.get_order_reference_details(draft), "OrderReference"),
    }
    assert after == before
    assert after["refund"]["RefundStatus"]["State"] == "Pending"
    # The stored state keeps working: the refund settles, the cap still counts it,
    # the idempotency record is still there.
    again = details(flow.refund(capture_id, "30.00", "ref-before"), "Refund")
    assert again["AmazonRefundId"] == refund_id
    over = flow.refund(capture_id, "62.01", "ref-over")  # cap 92.00, 30.00 already
    assert dig_code(over) == "TransactionAmountExceeded"
    flow.advance(5)
    settled = details(client.get_refund_details(refund_id), "Refund")
    assert settled["RefundStatus"]["State"] == "Completed"
    captured = client.capture(open_auth, "cap-after", "20.00")
    assert details(captured, "Capture")["CaptureStatus"]["State"] == "Completed"


def dig_code(response) -> str:
    return str(response.to_dict()["ErrorResponse"]["Error"]["Code"])
