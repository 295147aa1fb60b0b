"""The dashboard's Faults section (Flask test client): add a rule with the form, see it hit a
request in the fault log, delete it; bad input is an error on the page."""

from __future__ import annotations

import re


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_add_see_hits_and_delete_a_rule(api):
    page_url = f"/sandbox/merchants/{api.merchant.seller_id}"
    page = api.client.get(page_url).get_data(as_text=True)
    # The Faults section once, in the page's body (not in its <title>).
    assert page.count('id="faults"') == 1
    assert re.search(r"<title>[^<]*</title>", page), page[:300]
    assert "No fault rules" in page and "No faults injected yet" in page
    csrf = _csrf(page)
    form = {
        "csrf": csrf,
        "kind": "error",
        "action": "GetServiceStatus",
        "error_code": "",
        "count": "1",
    }
    added = api.client.post(f"{page_url}/faults", data=form)
    assert added.status_code == 303
    page = api.client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Rule 1 added" in page or "added" in page
    assert "error InternalServerError (500) on GetServiceStatus, 1 left" in page
    api.error("GetServiceStatus", "InternalServerError", 500)
    log = api.client.get(f"{page_url}/faults").get_data(as_text=True)
    assert "answered InternalServerError (500)" in log and "GetServiceStatus" in log
    rule_id = re.search(r"/faults/(\d+)/delete", page)
    assert rule_id
    deleted = api.client.post(f"{page_url}/faults/{rule_id.group(1)}/delete", data={"csrf": csrf})
    assert deleted.status_code == 303
    assert "No fault rules" in api.client.get(page_url).get_data(as_text=True)


def test_a_bad_rule_is_an_error_on_the_page(api):
    page_url = f"/sandbox/merchants/{api.merchant.seller_id}"
    csrf = _csrf(api.client.get(page_url).get_data(as_text=True))
    answer = api.client.post(
        f"{page_url}/faults", data={"csrf": csrf, "kind": "latency", "seconds": "soon"}
    )
    assert answer.status_code == 400
    assert "seconds" in answer.get_data(as_text=True)
    stale = api.client.post(f"{page_url}/faults", data={"csrf": "x", "kind": "close"})
    assert stale.status_code == 403
