"""``gateway sign``: a signed Off-Amazon Payments (or FPS) request laid open, for SDK authors.

It prints the Signature Version 2 string to sign, the signature and a curl command that sends
the request to the simulator, computed by ``clients.sigv2`` (the module the server verifies
with). The merchant's keys come from the control API unless given.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import urlencode

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option

OFFAMAZON_PATH = "/OffAmazonPayments_Sandbox/2013-01-01"
OFFAMAZON_VERSION = "2013-01-01"


def parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r}: give NAME=VALUE")
    return name, value


@click.command("sign")
@client_command
@merchant_option
@click.argument("action")
@click.option("-p", "--param", "params", multiple=True, help="A parameter, NAME=VALUE.")
@click.option("--access-key", help="Sign with this access key (default: the merchant's).")
@click.option("--secret-key", help="Sign with this secret key (default: the merchant's).")
@click.option("--timestamp", help="The Timestamp to sign (default: now).")
@click.option(
    "--signature-method",
    type=click.Choice(["HmacSHA256", "HmacSHA1"]),
    default="HmacSHA256",
    show_default=True,
)
def sign(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    action: str,
    params: tuple[str, ...],
    access_key: str | None,
    secret_key: str | None,
    timestamp: str | None,
    signature_method: str,
) -> None:
    """Sign an Off-Amazon Payments ACTION (e.g. GetOrderReferenceDetails -p
    AmazonOrderReferenceId=S01-...): the string to sign, the signature and a curl command."""
    from clients.sigv2 import signed_params, signing_host, string_to_sign_v2

    if access_key is None or secret_key is None:
        merchant = api.call("GET", f"/merchants/{seller_id}")
        access_key = access_key or merchant["access_key"]
        secret_key = secret_key or merchant["secret_key"]
    given = {"Action": action, "SellerId": seller_id, "Version": OFFAMAZON_VERSION}
    given |= dict(parameter(text) for text in params)
    if timestamp:
        given["Timestamp"] = timestamp
    endpoint = api.url + OFFAMAZON_PATH
    host = signing_host(endpoint)  # the Host header curl sends
    signed = signed_params(
        given,
        access_key=access_key,
        secret=secret_key,
        method="POST",
        host=host,
        path=OFFAMAZON_PATH,
        signature_method=signature_method,
    )
    to_sign = string_to_sign_v2("POST", host, OFFAMAZON_PATH, signed)
    curl = f"curl -s -X POST {shlex.quote(endpoint)} --data {shlex.quote(urlencode(signed))}"
    if as_json:
        answer = {"string_to_sign": to_sign, "signature": signed["Signature"]}
        click.echo(json.dumps(answer | {"parameters": signed, "curl": curl}, indent=2))
        return
    click.echo(f"String to sign:\n{to_sign}\n\nSignature:\n{signed['Signature']}\n")
    click.echo(f"curl:\n{curl}")
