"""Tokens: installed through the sandbox API, listed, cancelled only by their own caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.store.models import Notification


@pytest.mark.parametrize(
    "token_type", ["SingleUse", "MultiUse", "Recurring", "Prepaid", "Postpaid"]
)
def test_install_token_of_each_type_returns_a_64_character_token_id(fps, token_type):
    token = fps.install_token(token_type, caller_reference=f"t-{token_type}")
    assert len(token) == 64 and token.isalnum() and token.upper() == token
    got = fps.ok("GetTokenByCaller", CallerReference=f"t-{token_type}")
    assert got.find("GetTokenByCallerResult/Token/TokenId") == token
    assert got.find("GetTokenByCallerResult/Token/TokenType") == token_type
    assert got.find("GetTokenByCallerResult/Token/TokenStatus") == "Active"


def test_install_token_rejects_an_unknown_type_and_a_reused_caller_reference(fps):
    client, path = fps.client, f"/sandbox/api/v1/merchants/{fps.merchant.seller_id}/fps/tokens"
    assert client.post(path, json={"token_type": "Forever"}).status_code == 400
    fps.install_token(caller_reference="once")
    answer = client.post(path, json={"token_type": "MultiUse", "caller_reference": "once"})
    assert answer.status_code == 409


def test_cancel_token_cancels_and_a_cancelled_token_cannot_pay(fps, runtime):
    token = fps.install_token()
    answer = fps.ok("CancelToken", TokenId=token, ReasonText="buyer asked")
    assert answer.root.tag.endswith("CancelTokenResponse")
    assert [child.tag.split("}")[1] for child in answer.root] == ["ResponseMetadata"]
    assert fps.pay(token, "1.00").code == "TokenNotActive"
    fps.error("CancelToken", "TokenNotActive", TokenId=token)
    got = fps.ok("GetTokenByCaller", TokenId=token)
    assert got.find("GetTokenByCallerResult/Token/TokenStatus") == "Inactive"
    with runtime.db.session(write=False) as session:
        row = session.scalar(select(Notification).where(Notification.object_id == token))
    assert (row.notification_type, row.state) == ("TokenCancellation", "Inactive")
    assert row.extra["fps"]["tokenId"] == token


def test_another_callers_token_is_unknown(fps, other_fps):
    token = fps.install_token()
    other_fps.error("CancelToken", "InvalidTokenId", TokenId=token)
    other_fps.error("GetTokenByCaller", "InvalidTokenId", TokenId=token)
    assert other_fps.pay(token, "1.00").code == "InvalidTokenId_Sender"
    # ... and it still works for its own caller.
    assert fps.pay(token, "1.00").status == 200


def test_get_tokens_lists_the_callers_tokens_by_status(fps, other_fps):
    first, second = fps.install_token(), fps.install_token("SingleUse")
    other_fps.install_token()
    fps.ok("CancelToken", TokenId=first)
    every = fps.ok("GetTokens")
    ns = "{http://fps.amazonaws.com/doc/2010-08-28/}"
    ids = [t.findtext(ns + "TokenId") for t in every.root.iter(ns + "Token")]
    assert ids == [first, second]
    active = fps.ok("GetTokens", TokenStatus="Active")
    assert [t.findtext(ns + "TokenId") for t in active.root.iter(ns + "Token")] == [second]


def test_single_use_token_pays_once(fps):
    token = fps.install_token("SingleUse")
    assert fps.pay(token, "5.00").status == 200
    assert fps.pay(token, "5.00").code == "TokenUsageError"


def test_token_limits_hold_at_their_edges(fps):
    token = fps.install_token(limits={"max_transaction_amount": "10.00", "total_amount": "25.00"})
    assert fps.pay(token, "10.01").code == "TokenUsageError"
    assert fps.pay(token, "10.00").status == 200
    assert fps.pay(token, "10.00").status == 200
    assert fps.pay(token, "5.01").code == "TokenUsageError"
    assert fps.pay(token, "5.00").status == 200
    assert fps.pay(token, "0.01").code == "TokenUsageError"


def test_a_cancelled_payment_gives_its_amount_back_to_the_token(fps):
    token = fps.install_token(limits={"total_amount": "10.00"})
    txn = fps.pay(token, "10.00").find("PayResult/TransactionId")
    assert fps.pay(token, "0.01").code == "TokenUsageError"
    fps.ok("Cancel", TransactionId=txn)
    assert fps.pay(token, "10.00").status == 200


def test_an_expired_token_is_not_active(fps, clock):
    token = fps.install_token(limits={"valid_until": "2026-11-01T12:00:10+00:00"})
    assert fps.pay(token, "1.00").status == 200
    clock.advance(11)
    assert fps.pay(token, "1.00").code == "TokenNotActive"
