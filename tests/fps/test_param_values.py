"""FPS parameters are checked before they reach the domain or the database: InvalidParams naming
the parameter, never a 500, on SQLite and PostgreSQL alike (PostgreSQL refuses NUL and values
longer than their column, where SQLite stores them)."""

from __future__ import annotations

import pytest

from tests.fps.helpers import FpsApi


def message(answer) -> str:
    return answer.find("Errors/Error/Message") or ""


@pytest.mark.parametrize("name", ["CallerReference", "CallerDescription", "SenderDescription"])
def test_a_control_character_is_refused_naming_the_parameter(fps: FpsApi, name):
    values = {"CallerReference": fps.ref(), name: "a\x00"}
    answer = fps.pay(fps.install_token(), "1.00", ref=values.pop("CallerReference"), **values)
    assert (answer.status, answer.code) == (400, "InvalidParams"), answer.text()
    assert f"parameter {name!r}" in message(answer)


def test_a_control_character_in_a_lookup_is_refused(fps: FpsApi):
    for action, params in [
        ("GetTokens", {"CallerReference": "\x00"}),
        ("GetTokens", {"TokenFriendlyName": "\x01"}),
        ("GetTransaction", {"TransactionId": "\x00"}),
        ("GetTokenByCaller", {"TokenId": "\x00"}),
    ]:
        answer = fps.call(action, **params)
        assert (answer.status, answer.code) == (400, "InvalidParams"), answer.text()
        [name] = params
        assert f"parameter {name!r}" in message(answer)


@pytest.mark.parametrize(
    ("name", "longest"), [("CallerReference", 128), ("CallerDescription", 160)]
)
def test_a_value_is_as_long_as_its_column_at_most(fps: FpsApi, name, longest):
    token = fps.install_token()

    def pay(length: int):
        values = {"CallerReference": fps.ref(), name: "x" * length}
        return fps.pay(token, "1.00", ref=values.pop("CallerReference"), **values)

    answer = pay(longest + 1)
    assert (answer.status, answer.code) == (400, "InvalidParams")
    assert f"parameter {name} is invalid" in message(answer)
    assert pay(longest).status == 200


def test_override_ipn_url_is_as_long_as_its_column_at_most(fps: FpsApi):
    token = fps.install_token()
    url = "http://127.0.0.1/"
    answer = fps.pay(token, "1.00", OverrideIPNURL=url + "a" * (2049 - len(url)))
    assert (answer.status, answer.code) == (400, "InvalidParams")
    assert "parameter OverrideIPNURL is invalid" in message(answer)
    paid = fps.pay(token, "1.00", OverrideIPNURL=url + "a" * (2048 - len(url)))
    assert paid.status == 200, paid.text()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/ipn", "port"),
        ("http://127.0.0.1:0/ipn", "port"),
        ("http://999.999.999.999/ipn", "IP address"),
    ],
)
def test_an_override_ipn_url_that_cannot_be_posted_to_is_refused(fps: FpsApi, url, problem):
    paid = fps.pay(fps.install_token(), "1.00")
    transaction_id = paid.find("PayResult/TransactionId")
    assert transaction_id is not None, paid.text()
    for answer in (
        fps.pay(fps.install_token(), "1.00", OverrideIPNURL=url),
        fps.refund(transaction_id, "1.00", OverrideIPNURL=url),
    ):
        assert (answer.status, answer.code) == (400, "InvalidParams")
        assert "parameter OverrideIPNURL is invalid" in message(answer)
        assert problem in message(answer)


def test_cancel_token_reason_text_is_as_long_as_its_column_at_most(fps: FpsApi):
    """ReasonText is kept as the token's reason description (512 characters)."""
    token = fps.install_token()
    answer = fps.call("CancelToken", TokenId=token, ReasonText="r" * 513)
    assert (answer.status, answer.code) == (400, "InvalidParams")
    assert "parameter ReasonText is invalid" in message(answer)
    assert fps.call("CancelToken", TokenId=token, ReasonText="r" * 512).status == 200
