"""A path with a double slash is not an API address: answered in the API's own XML format, never
werkzeug's HTML 308 redirect to the merged path (found by tests/fuzz's long run)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest


@pytest.mark.parametrize(
    "path", ["/OffAmazonPayments_Sandbox//2013-01-01", "//OffAmazonPayments_Sandbox/2013-01-01"]
)
def test_a_double_slash_is_an_xml_invalid_address(app, path: str) -> None:
    answer = app.test_client().post(path, data={"Action": "GetServiceStatus"})
    assert answer.status_code == 404
    assert answer.mimetype == "text/xml"
    assert ET.fromstring(answer.data).findtext(".//{*}Code") == "InvalidAddress"
