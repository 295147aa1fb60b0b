"""What Amazon's own ``amazon_pay.ipn_handler.IpnHandler`` makes of our notifications.

Unchanged, it parses them and accepts the topic header, but cannot authenticate them, for the
reasons in reference/amazon-wire.md §3.2 (a cert URL on sns.*.amazonaws.com; pyOpenSSL >= 24.3).
Patched as docs/ipn.md shows (the patch is run here from the page itself), it authenticates a
genuine notification and refuses forged ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from tests.support.servers import GatewayServer

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


PAGE = Path(__file__).resolve().parents[2] / "docs" / "ipn.md"


def documented_patch() -> str:
    """The python block of docs/ipn.md that patches the handler (and uses it)."""
    section = PAGE.read_text(encoding="utf-8").split("### The official SDK's `IpnHandler`")[1]
    match = re.search(r"^```python\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_documented_patch_authenticates_genuine_notifications_and_refuses_forged_ones(
    live_server_with_scheduler: GatewayServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    server = live_server_with_scheduler
    # The page's block as a reader runs it (its asserts included), against this server; the
    # handler module's ``crypto`` it replaces is put back after the test.
    monkeypatch.setattr(ipn_handler, "crypto", ipn_handler.crypto)
    code = documented_patch().replace("http://127.0.0.1:8080", server.url)
    namespace: dict[str, Any] = {"__name__": "docs_ipn_patch"}
    exec(compile(code, str(PAGE), "exec"), namespace)
    printed = capsys.readouterr().out
    assert "OrderReferenceNotification" in printed and "forged: Invalid signature." in printed

    handler_class = namespace["SimulatorIpnHandler"]
    sent = namespace["sent"]
    body, headers = sent["body"].encode(), CaseInsensitiveDict(sent["headers"])
    handler = handler_class(body, headers)
    assert handler.authenticate() is True
    parsed = json.loads(handler.to_json())
    status = parsed["OrderReferenceNotification"]["OrderReference"]["OrderReferenceStatus"]
    assert (status["State"], status["ReasonCode"]) == ("Canceled", "Stale")
    # The unpatched handler refuses it (the certificate's host) ...
    with pytest.raises(ValueError, match="certificate"):
        ipn_handler.IpnHandler(body, headers).authenticate()
    # ... and the patched one still refuses a certificate elsewhere, and a wrong topic header.
    elsewhere = sent["body"].replace(server.url, "http://127.0.0.2:9").encode()
    with pytest.raises(ValueError, match="certificate"):
        handler_class(elsewhere, headers).authenticate()
    wrong_topic = CaseInsensitiveDict({**sent["headers"], "x-amz-sns-topic-arn": "arn:forged"})
    with pytest.raises(ValueError, match="TopicArn"):
        handler_class(body, wrong_topic).authenticate()
