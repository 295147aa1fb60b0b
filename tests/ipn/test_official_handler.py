"""What Amazon's own ``amazon_pay.ipn_handler.IpnHandler`` makes of our notifications.

It parses them and accepts the topic header; it cannot fully authenticate them here, for the
reasons in reference/amazon-wire.md §3.2 (a cert URL on sns.*.amazonaws.com; pyOpenSSL >= 24.3).
"""

from __future__ import annotations

import json

import pytest
from requests.structures import CaseInsensitiveDict

ipn_handler = pytest.importorskip("amazon_pay.ipn_handler")
pytestmark = pytest.mark.sdk


def test_the_official_handler_parses_a_notification_and_accepts_its_headers(
    api, runtime, receiver, configure, deliver
):
    configure(ipn_url=receiver.url)
    auth_id = api.open_authorization()
    deliver()
    (received,) = receiver.received
    handler = ipn_handler.IpnHandler(received.body, CaseInsensitiveDict(received.headers))
    assert handler._validate_header() is True
    parsed = json.loads(handler.to_json())
    details = parsed["AuthorizationNotification"]["AuthorizationDetails"]
    assert details["AmazonAuthorizationId"] == auth_id
    assert details["AuthorizationStatus"]["State"] == "Open"
    # Only certificates on https://sns.<region>.amazonaws.com are trusted by the handler.
    with pytest.raises(ValueError, match="cert"):
        handler._validate_cert_url()
