"""``gateway v2-keys|v2-buyers``: a merchant's API v2 keys and buyer tokens, through the control
API (``gateway.api.v2_accounts``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option
from gateway.cli.output import show, show_object, table

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


COMMANDS = [v2_keys, v2_buyers]
