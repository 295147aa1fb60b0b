"""Point the official clients at a simulator URL: ``amazon_pay`` 2.7.1 and boto 2.49 FPS.

Both libraries are imported lazily, inside the functions, so ``clients`` works without them.
Recipes: reference/amazon-wire.md §3.1 (set ``client._mws_endpoint``; assigning
``client.sandbox`` later would overwrite it) and §3.3 (``FPSConnection(host=…, port=…,
is_secure=False)``, the host without ``:port``; boto 2.49's decorated helpers such as
``refund()`` crash on Python 3, call ``conn.get_object(...)`` instead).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from clients.offamazon import LIVE_PATH, SANDBOX_PATH


def mws_endpoint(base_url: str, *, sandbox: bool = True) -> str:
    """``http://127.0.0.1:8080`` → ``http://127.0.0.1:8080/OffAmazonPayments_Sandbox/2013-01-01``."""
    return base_url.rstrip("/") + (SANDBOX_PATH if sandbox else LIVE_PATH)


def point_amazon_pay_client(client: Any, base_url: str, *, sandbox: bool = True) -> Any:
    """Redirect an existing ``amazon_pay.client.AmazonPayClient`` to ``base_url``; returns it."""
    client._mws_endpoint = mws_endpoint(base_url, sandbox=sandbox)
    return client


def amazon_pay_client(
    base_url: str,
    access_key: str,
    secret_key: str,
    merchant_id: str,
    *,
    region: str = "us",
    currency_code: str = "USD",
    **options: Any,
) -> Any:
    """A new ``AmazonPayClient`` (sandbox mode) that talks to the simulator at ``base_url``.

    ``options`` go to the constructor (e.g. ``handle_throttle=False`` to skip its 15 s of
    retry sleeps on 500/503, §3.1).
    """
    from amazon_pay.client import AmazonPayClient

    client = AmazonPayClient(
        mws_access_key=access_key,
        mws_secret_key=secret_key,
        merchant_id=merchant_id,
        region=region,
        currency_code=currency_code,
        sandbox=True,
        **options,
    )
    return point_amazon_pay_client(client, base_url)


def boto_fps_connection(
    base_url: str, access_key: str, secret_key: str, *, num_retries: int = 0, **options: Any
) -> Any:
    """A ``boto.fps.connection.FPSConnection`` to the simulator at ``base_url``.

    ``num_retries`` defaults to 0: boto's own default sleeps up to about a minute on 5xx (§3.3).
    """
    from boto.fps.connection import FPSConnection

    parts = urlsplit(base_url)
    secure = parts.scheme == "https"
    connection = FPSConnection(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        host=parts.hostname,
        port=parts.port or (443 if secure else 80),
        is_secure=secure,
        **options,
    )
    connection.num_retries = num_retries
    return connection
