"""``gateway v2-keys|v2-buyers|v2-checkouts``: a merchant's API v2 keys, buyer tokens and
checkouts, through the control API (``gateway.api.v2_accounts``, ``gateway.api.v2_orders``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option, paged
from gateway.cli.output import fields, show, show_list, show_object, table

KEY_COLUMNS = ["public_key_id", "environment", "name", "created_at"]


@click.group("v2-keys")
def v2_keys() -> None:
    """A merchant's API v2 keys: make one (the private key is shown once), list, delete."""


@v2_keys.command("create")
@client_command
@merchant_option
@click.option(
    "--environment",
    type=click.Choice(["sandbox", "live", "any"]),
    default="sandbox",
    show_default=True,
    help="SANDBOX- or LIVE- id (SDKs call /v2/), or an id without prefix.",
)
@click.option("--name", default="", help="A label for the key.")
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Register this RSA public key (PEM) of a key pair you made, instead.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the new private key here (mode 0600) rather than printing it.",
)
def v2_keys_create(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    environment: str,
    name: str,
    public_key: Path | None,
    out: Path | None,
) -> None:
    """Make a key pair (or register --public-key) and print its public key id."""
    body: dict[str, Any] = {"environment": environment, "name": name}
    if public_key is not None:
        body["public_key_pem"] = public_key.read_text(encoding="ascii", errors="replace")
    answer = api.call("POST", f"/merchants/{seller_id}/v2-keys", body=body)
    private_pem = answer.get("private_key_pem")
    if out is not None and private_pem:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(private_pem)
        os.chmod(out, 0o600)
        answer = {**answer, "private_key_pem": f"(written to {out})"}
    if as_json:
        show_object(answer, True, [])
        return
    lines = [f"public key id: {answer['public_key_id']}"]
    if private_pem and out is None:
        lines += ["private key (shown once; keep it):", private_pem.rstrip()]
    elif private_pem:
        lines.append(f"private key:   {out}")
    click.echo("\n".join(lines))


@v2_keys.command("list")
@client_command
@merchant_option
def v2_keys_list(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """List the merchant's API v2 keys, newest first."""
    answer = api.call("GET", f"/merchants/{seller_id}/v2-keys")
    show(answer, as_json, table(answer["items"], KEY_COLUMNS))


@v2_keys.command("delete")
@client_command
@merchant_option
@click.argument("public_key_id")
def v2_keys_delete(api: ControlApi, as_json: bool, seller_id: str, public_key_id: str) -> None:
    """Delete a key: requests signed with it are refused at once."""
    api.call("DELETE", f"/merchants/{seller_id}/v2-keys/{public_key_id}")
    show({"deleted": public_key_id}, as_json, f"deleted {public_key_id}")


@click.group("v2-buyers")
def v2_buyers() -> None:
    """API v2 buyers: sign a buyer in (Amazon Sign-In) for a buyer token."""


@v2_buyers.command("sign-in")
@client_command
@merchant_option
@click.option("--name", default="Sandbox Buyer", show_default=True)
@click.option("--email", default="buyer@example.com", show_default=True)
def v2_buyers_sign_in(
    api: ControlApi, as_json: bool, seller_id: str, name: str, email: str
) -> None:
    """Issue a buyer token for Get Buyer (the default sandbox address)."""
    body = {"buyer": {"name": name, "email": email}}
    answer = api.call("POST", f"/merchants/{seller_id}/v2-buyer-tokens", body=body)
    show(answer, as_json, f"buyer token: {answer['buyer_token']}")


CHECKOUT_COLUMNS = ["checkout_session_id", "state", "reason_code", "amount", "currency_code"]
CHECKOUT_COLUMNS += ["charge_permission_id", "charge_permission_state", "created_at"]


@click.group("v2-checkouts")
def v2_checkouts() -> None:
    """A merchant's API v2 checkouts: list them, show one with its charges and refunds."""


@v2_checkouts.command("list")
@client_command
@merchant_option
@paged
@click.option("--state", multiple=True, help="Open, Completed, Canceled.")
@click.option(
    "-q", "search", help="A checkout session's, charge permission's, charge's or refund's id."
)
def v2_checkouts_list(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    state: tuple[str, ...],
    search: str | None,
) -> None:
    """List a merchant's API v2 checkout sessions, newest first."""
    params = {"limit": limit, "cursor": cursor, "state": list(state), "q": search}
    answer = api.call("GET", f"/merchants/{seller_id}/v2/checkout-sessions", params=params)
    show_list(answer, as_json, CHECKOUT_COLUMNS)


@v2_checkouts.command("show")
@client_command
@merchant_option
@click.argument("checkout_id")
def v2_checkouts_show(api: ControlApi, as_json: bool, seller_id: str, checkout_id: str) -> None:
    """Show a checkout (by any of its ids): the session, charge permission, charges, refunds."""
    found = api.call("GET", f"/merchants/{seller_id}/v2/checkout-sessions/{checkout_id}")
    if as_json:
        show_object(found, True, [])
        return
    names = ["checkoutSessionId", "statusDetails.state", "statusDetails.reasonCode"]
    names += ["paymentDetails.paymentIntent", "paymentDetails.chargeAmount.amount"]
    names += ["paymentDetails.chargeAmount.currencyCode", "buyer.name", "chargePermissionId"]
    lines = [fields(found["checkout_session"], names)]
    permission = found["charge_permission"]
    if permission:
        reasons = permission["statusDetails"].get("reasons") or []
        reason = "".join(f"/{r['reasonCode']}" for r in reasons)
        balance = permission["limits"]["amountBalance"]["amount"]
        lines.append(
            f"charge permission {permission['chargePermissionId']} "
            f"{permission['statusDetails']['state']}{reason} balance {balance}"
        )
    for charge in found["charges"]:
        lines.append("  " + _v2_line("charge", charge["chargeId"], charge, "chargeAmount"))
        for refund in found["refunds"]:
            if refund["chargeId"] == charge["chargeId"]:
                lines.append(
                    "    " + _v2_line("refund", refund["refundId"], refund, "refundAmount")
                )
    for dispute in found["disputes"]:
        lines.append(
            f"  dispute {dispute['dispute_id']} {dispute['type']} {dispute['state']} "
            f"{dispute['amount']} on {dispute['charge_id']}"
        )
    click.echo("\n".join(lines))


def _v2_line(kind: str, object_id: str, obj: dict[str, Any], amount_field: str) -> str:
    status = obj["statusDetails"]
    reason = f"/{status['reasonCode']}" if status.get("reasonCode") else ""
    return f"{kind} {object_id} {status['state']}{reason} {obj[amount_field]['amount']}"


COMMANDS = [v2_keys, v2_buyers, v2_checkouts]
