"""Ways to make notifications of each type, and to read what a receiver got."""

from __future__ import annotations

from xml.etree import ElementTree

from gateway.clock import FrozenClock
from gateway.runtime import Runtime
from gateway.worker.jobs import run_due_work
from tests.helpers import SignedApi


def every_type(api: SignedApi, runtime: Runtime, clock: FrozenClock) -> dict[str, str]:
    """Authorize, capture, refund (settled), dispute and close one order: every IPN type.

    Returns the Amazon ids: order, authorization, capture, refund, dispute.
    """
    order = api.open_order("100.00")
    auth = api.authorize(order, "100.00", api.unique_ref("auth"))
    auth_id = auth.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId") or ""
    cap = api.capture(auth_id, "60.00", api.unique_ref("cap"), SellerCaptureNote="first half")
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId") or ""
    refund = api.refund(cap_id, "10.50", api.unique_ref("ref"))
    refund_id = refund.find("RefundResult/RefundDetails/AmazonRefundId") or ""
    clock.advance(60)
    run_due_work(runtime)
    api.ok("CloseOrderReference", AmazonOrderReferenceId=order)
    dispute = api.client.post(
        f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/disputes",
        json={"type": "chargeback", "amazon_capture_id": cap_id, "amount": "5.00"},
    )
    assert dispute.status_code == 201, dispute.get_json()
    return {
        "order": order,
        "authorization": auth_id,
        "capture": cap_id,
        "refund": refund_id,
        "dispute": dispute.get_json()["dispute_id"],
    }


def element_paths(xml: str) -> set[str]:
    """``Root/Child/Grandchild`` for every element, namespaces dropped."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    paths: set[str] = set()

    def walk(node: ElementTree.Element, prefix: str) -> None:
        path = f"{prefix}/{node.tag.split('}')[-1]}" if prefix else node.tag.split("}")[-1]
        paths.add(path)
        for child in node:
            walk(child, path)

    walk(root, "")
    return paths
