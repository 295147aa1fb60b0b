"""Signature Version 2 computed by the official amazon_pay SDK's own code (known answers)."""

from __future__ import annotations

import types
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from amazon_pay import payment_request

#: Request parameters covering the encoding corners: spaces, '+', '*', '~', '&', '=', '/',
#: non-ASCII text, JSON (a sandbox simulation), an empty value.
CASES: list[dict[str, Any]] = [
    {
        "endpoint": "http://127.0.0.1:8998/OffAmazonPayments_Sandbox/2013-01-01",
        "secret": "sandbox-secret-key-0123456789abcdefghijkl",
        "access_key": "AKIASANDBOXACCESSKEY",
        "seller_id": "A2SANDBOXSELLER",
        "now": "2026-11-21T23:41:36",
        "params": {
            "Action": "Refund",
            "AmazonCaptureId": "S01-1234567-1234567-C000001",
            "RefundAmount.Amount": "10.00",
            "RefundAmount.CurrencyCode": "USD",
            "RefundReferenceId": "ref1",
            "SellerRefundNote": '{"SandboxSimulation": {"State":"Declined",'
            '"ReasonCode":"AmazonRejected"}}',
        },
    },
    {
        "endpoint": "https://mws.amazonservices.com/OffAmazonPayments_Sandbox/2013-01-01",
        "secret": "abc+/DEF123ghi456JKL789mno012PQR345stu67",
        "access_key": "AKIAEXAMPLE0000000001",
        "seller_id": "A1EXAMPLESELLER",
        "now": "2026-01-02T03:04:05",
        "params": {
            "Action": "SetOrderReferenceDetails",
            "AmazonOrderReferenceId": "S01-0000001-0000001",
            "OrderReferenceAttributes.OrderTotal.Amount": "1234.50",
            "OrderReferenceAttributes.OrderTotal.CurrencyCode": "EUR",
            "OrderReferenceAttributes.SellerNote": "a b+c*d~e&f=g/h?i%j 'k' \"l\" äöü 宋 😀",
            "OrderReferenceAttributes.SellerOrderAttributes.StoreName": "",
            "OrderReferenceAttributes.SellerOrderAttributes.CustomInformation": "tab\there\nnl",
        },
    },
    {
        "endpoint": "http://localhost:8080/OffAmazonPayments/2013-01-01",
        "secret": "s",
        "access_key": "AK",
        "seller_id": "SELLER",
        "now": "2030-12-31T23:59:59",
        "params": {"Action": "GetServiceStatus", "SellerId": "OTHERSELLER", "a": "1", "B": "2"},
    },
]


def sdk_sign(case: dict[str, Any]) -> dict[str, Any]:
    """What amazon_pay 2.7.1 sends for ``case``: body, parameters and its string to sign."""
    fixed = datetime.fromisoformat(case["now"])
    fake = types.SimpleNamespace(datetime=types.SimpleNamespace(utcnow=lambda: fixed))
    request = payment_request.PaymentRequest(
        params=dict(case["params"]),
        config={
            "mws_access_key": case["access_key"],
            "mws_secret_key": case["secret"],
            "api_version": "2013-01-01",
            "merchant_id": case["seller_id"],
            "mws_endpoint": case["endpoint"],
            "headers": {},
            "handle_throttle": False,
        },
    )
    signed: list[str] = []
    original_sign = request._sign

    def recording_sign(string_to_sign: str) -> str:
        signed.append(string_to_sign)
        signature: str = original_sign(string_to_sign)
        return signature

    request._sign = recording_sign
    saved = payment_request.datetime
    payment_request.datetime = fake
    try:
        body = request._querystring(dict(case["params"]))
    finally:
        payment_request.datetime = saved
    sent = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {
        "body": body.decode("ascii"),
        "params": {k: v for k, v in sent.items() if k != "Signature"},
        "string_to_sign": signed[0],
        "signature": sent["Signature"],
    }
