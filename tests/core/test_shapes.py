"""Each answer has the element structure of Amazon's sample of it.

For every sample in ``tests/data/amazon-pay-samples/responses`` an object is brought, in
process, into the state the sample shows; then the sets of namespace-qualified element paths are
compared: the root and Result names must match exactly, and every path of the sample must appear
in ours, except the few listed in ``NOT_MODELLED`` (data our objects do not have).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

import pytest

from tests.helpers import DATA, NS, Answer, SignedApi

SAMPLES = DATA / "amazon-pay-samples" / "responses"

SUPPLEMENTARY = json.dumps({"OrderMetaData": {"version": 1.0, "numberOfItems": 3}})

#: Sample paths that stand for data the simulator does not model, per sample file.
NOT_MODELLED: dict[str, set[str]] = {
    # RequestPaymentAuthorization is set by a SetOrderReferenceDetails parameter amazon_pay 2.7.1
    # never sends; the simulator does not keep it.
    "SetOrderReferenceDetailsResponse.xml": {
        "SetOrderReferenceDetailsResponse/SetOrderReferenceDetailsResult/OrderReferenceDetails/"
        "RequestPaymentAuthorization"
    },
}


def element_paths(root: ElementTree.Element) -> set[str]:
    """``Root/Child/Grandchild`` for every element, tags namespace-qualified (``{ns}Name``)."""

    def walk(node: ElementTree.Element, prefix: str) -> Iterator[str]:
        path = f"{prefix}/{node.tag}" if prefix else node.tag
        yield path
        for child in node:
            yield from walk(child, path)

    return set(walk(root, ""))


def local(path: str) -> str:
    return path.replace(NS, "")


# --- producing each answer ----------------------------------------------------------------------


def _authorized_capture_now(api: SignedApi) -> tuple[Answer, str]:
    order_id = api.open_order("1.00")
    answer = api.authorize(
        order_id,
        "1.00",
        "asdcdsd5iiiii",
        capture_now="true",
        SellerAuthorizationNote="testing",
        SoftDescriptor="testikiki",
    )
    auth_id = answer.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    assert auth_id
    return answer, auth_id


def authorize(api: SignedApi, runtime, clock) -> Answer:
    return _authorized_capture_now(api)[0]


def get_authorization(api: SignedApi, runtime, clock) -> Answer:
    auth_id = _authorized_capture_now(api)[1]
    return api.ok("GetAuthorizationDetails", AmazonAuthorizationId=auth_id)


def capture(api: SignedApi, runtime, clock) -> Answer:
    auth_id = api.open_authorization("1.00")
    return api.capture(auth_id, "1.00", "testcsal", SoftDescriptor="testsd")


def get_capture(api: SignedApi, runtime, clock) -> Answer:
    auth_id = api.open_authorization("1.00")
    cap = api.capture(auth_id, "1.00", "c1", SellerCaptureNote="testing")
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    assert cap_id
    return api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)


def _refund(api: SignedApi) -> Answer:
    cap_id = api.completed_capture("1.00")
    return api.refund(
        cap_id, "0.50", "testRefundId1354077", SellerRefundNote="testing", SoftDescriptor="test"
    )


def refund(api: SignedApi, runtime, clock) -> Answer:
    return _refund(api)


def get_refund(api: SignedApi, runtime, clock) -> Answer:
    from gateway.worker.jobs import run_due_work

    refund_id = _refund(api).find("RefundResult/RefundDetails/AmazonRefundId")
    assert refund_id
    clock.advance(5)
    assert run_due_work(runtime) == 1
    answer = api.ok("GetRefundDetails", AmazonRefundId=refund_id)
    assert answer.find("GetRefundDetailsResult/RefundDetails/RefundStatus/State") == "Completed"
    return answer


def _set_details(api: SignedApi, order_id: str, **extra: str) -> Answer:
    return api.call(
        "SetOrderReferenceDetails",
        AmazonOrderReferenceId=order_id,
        **{
            "OrderReferenceAttributes.OrderTotal.Amount": "500.00",
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
        },
        **extra,
    )


def set_order_reference(api: SignedApi, runtime, clock) -> Answer:
    return _set_details(
        api,
        api.new_order(),
        **{
            "OrderReferenceAttributes.PlatformId": "ANDRCTOTP9",
            "OrderReferenceAttributes.SellerNote": "testing",
            "OrderReferenceAttributes.SellerOrderAttributes.SellerOrderId": "test1234",
            "OrderReferenceAttributes.SellerOrderAttributes.StoreName": "myTestStore",
            "OrderReferenceAttributes.SellerOrderAttributes.CustomInformation": "myCustom",
            "OrderReferenceAttributes.SellerOrderAttributes.SupplementaryData": SUPPLEMENTARY,
        },
    )


def get_order_reference(api: SignedApi, runtime, clock) -> Answer:
    order_id = api.new_order()
    extra = {"OrderReferenceAttributes.SellerOrderAttributes.SupplementaryData": SUPPLEMENTARY}
    assert _set_details(api, order_id, **extra).status == 200
    return api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)


def confirm(api: SignedApi, runtime, clock) -> Answer:
    order_id = api.new_order()
    assert _set_details(api, order_id).status == 200
    return api.ok("ConfirmOrderReference", AmazonOrderReferenceId=order_id)


def cancel(api: SignedApi, runtime, clock) -> Answer:
    return api.ok("CancelOrderReference", AmazonOrderReferenceId=api.open_order())


def close_order_reference(api: SignedApi, runtime, clock) -> Answer:
    return api.ok("CloseOrderReference", AmazonOrderReferenceId=api.open_order())


def close_authorization(api: SignedApi, runtime, clock) -> Answer:
    auth_id = api.open_authorization()
    return api.ok("CloseAuthorization", AmazonAuthorizationId=auth_id)


def service_status(api: SignedApi, runtime, clock) -> Answer:
    return api.ok("GetServiceStatus")


def error(api: SignedApi, runtime, clock) -> Answer:
    return api.error(
        "SetOrderReferenceDetails",
        "OrderReferenceNotModifiable",
        400,
        AmazonOrderReferenceId=api.open_order(),
        **{
            "OrderReferenceAttributes.OrderTotal.Amount": "1.00",
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": "USD",
        },
    )


PRODUCERS: dict[str, Callable[..., Answer]] = {
    "AuthorizeResponse.xml": authorize,
    "GetAuthorizationDetailsResponse.xml": get_authorization,
    "CaptureResponse.xml": capture,
    "GetCaptureDetailsResponse.xml": get_capture,
    "RefundResponse.xml": refund,
    "GetRefundDetails.xml": get_refund,
    "SetOrderReferenceDetailsResponse.xml": set_order_reference,
    "GetOrderReferenceDetailsResponse.xml": get_order_reference,
    "ConfirmOrderReferenceResponse.xml": confirm,
    "CancelOrderReferenceResponse.xml": cancel,
    "CloseOrderReferenceResponse.xml": close_order_reference,
    "CloseAuthorizationResponse.xml": close_authorization,
    "GetServiceStatusResponseGreen.xml": service_status,
    "ErrorResponse.xml": error,
}

#: Samples with no producer, and why.
UNPRODUCED = {
    # The simulator does not throttle (reference §1.10: throttling should be opt-in).
    "Throttled.xml",
}


def test_every_sample_is_covered():
    assert SAMPLES.is_dir(), f"samples not found at {SAMPLES}"
    assert {p.name for p in SAMPLES.glob("*.xml")} == set(PRODUCERS) | UNPRODUCED


def _sample(name: str) -> ElementTree.Element:
    text = (SAMPLES / name).read_bytes()
    # One sample has a stray '"' after its root start tag: text, not structure.
    return ElementTree.fromstring(text)


@pytest.mark.parametrize("name", sorted(PRODUCERS))
def test_shape_matches_sample(api, runtime, clock, name):
    sample = _sample(name)
    ours = PRODUCERS[name](api, runtime, clock)
    assert ours.root.tag == sample.tag
    sample_children = [child.tag for child in sample]
    our_children = [child.tag for child in ours.root]
    # The Result element (or its absence) and ResponseMetadata/RequestId are exactly Amazon's.
    assert sorted(our_children) == sorted(sample_children)
    missing = {local(p) for p in element_paths(sample) - element_paths(ours.root)}
    assert missing <= NOT_MODELLED.get(name, set()), sorted(missing)


def test_empty_results_are_empty_elements(api, runtime, clock):
    for producer in (cancel, close_authorization):
        result = producer(api, runtime, clock).root[0]
        assert result.tag.endswith("Result") and len(result) == 0 and not (result.text or "")


def test_id_lists_use_member_elements(api, runtime, clock):
    cap_id = api.completed_capture("10.00")
    for i in range(3):
        assert api.refund(cap_id, "1.00", f"r{i}").status == 200
    answer = api.ok("GetCaptureDetails", AmazonCaptureId=cap_id)
    id_list = answer.root.find(f"{NS}GetCaptureDetailsResult/{NS}CaptureDetails/{NS}IdList")
    assert id_list is not None
    assert [child.tag for child in id_list] == [f"{NS}member"] * 3


def test_sixteen_character_soft_descriptor(api):
    order_id = api.open_order("10.00")
    answer = api.authorize(order_id, "10.00", "a-sd", SoftDescriptor="ABCDEFGHIJKLMNOP")
    assert answer.status == 200, ElementTree.tostring(answer.root)
    assert answer.find("AuthorizeResult/AuthorizationDetails/SoftDescriptor") == (
        "AMZ*ABCDEFGHIJKLMNOP"
    )
    auth_id = answer.find("AuthorizeResult/AuthorizationDetails/AmazonAuthorizationId")
    cap = api.capture(auth_id, "10.00", "c-sd", SoftDescriptor="PONMLKJIHGFEDCBA")
    assert cap.status == 200, ElementTree.tostring(cap.root)
    cap_id = cap.find("CaptureResult/CaptureDetails/AmazonCaptureId")
    ref = api.refund(cap_id, "1.00", "r-sd", SoftDescriptor="QRSTUVWXYZABCDEF")
    assert ref.status == 200, ElementTree.tostring(ref.root)
    assert ref.find("RefundResult/RefundDetails/SoftDescriptor") == "AMZ*QRSTUVWXYZABCDEF"


def test_long_store_name_is_a_valid_descriptor(runtime, app, clock):
    from tests.helpers import new_merchant

    merchant = new_merchant(runtime, store_name="A Very Long Store Name Indeed")
    api = SignedApi(app.test_client(), merchant, clock)
    order_id = api.open_order("10.00")
    answer = api.authorize(order_id, "10.00", "a-store")
    assert answer.status == 200, ElementTree.tostring(answer.root)
    assert answer.find("AuthorizeResult/AuthorizationDetails/SoftDescriptor") == (
        "AMZ*A Very Long Stor"
    )


@pytest.mark.parametrize("bad", ["\x0b", "\x00", "\x1f", "\ufffe"])
def test_values_xml_cannot_carry_are_refused(api, bad):
    order_id = api.open_order("10.00")
    answer = api.authorize(order_id, "10.00", "a-ctl", SellerAuthorizationNote=f"note{bad}x")
    assert (answer.status, answer.code) == (400, "InvalidParameterValue")
    # Nothing was created, and the answer itself is well-formed (SignedApi parsed it).
    order = api.ok("GetOrderReferenceDetails", AmazonOrderReferenceId=order_id)
    assert order.find("GetOrderReferenceDetailsResult/OrderReferenceDetails/IdList") is None
    action = api.call(f"Get{bad}ServiceStatus")
    assert (action.status, action.code) == (400, "InvalidParameterValue")


def test_tabs_newlines_and_astral_characters_are_fine(api):
    order_id = api.open_order("10.00")
    note = "line 1\n\tline 2 \U0001f600 宋"
    answer = api.authorize(order_id, "10.00", "a-ok", SellerAuthorizationNote=note)
    assert answer.status == 200
    assert answer.find("AuthorizeResult/AuthorizationDetails/SellerAuthorizationNote") == note
