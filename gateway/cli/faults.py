"""``gateway faults``: a merchant's fault rules (on its signed requests and its IPNs) and the
fault log, through the control API (``/merchants/<seller_id>/faults``)."""

from __future__ import annotations

from typing import Any

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option, paged
from gateway.cli.output import show, show_list, show_object

RULE_FIELDS = ["id", "target", "kind", "remaining", "matched", "injected", "description"]
RULE_COLUMNS = ["id", "description", "injected"]
LOG_COLUMNS = ["id", "occurred_at", "kind", "action", "request_id", "notification_id", "effect"]
REQUEST_KINDS = ["error", "latency", "close", "empty", "truncate"]
IPN_KINDS = ["drop", "delay", "bad_signature", "bad_cert_url"]


@click.group()
def faults() -> None:
    """Fault rules: errors, latency and broken answers on requests; dropped, delayed and forged
    IPNs; and the fault log of what they did."""


@faults.command("add")
@client_command
@merchant_option
@click.argument("kind", type=click.Choice(REQUEST_KINDS + IPN_KINDS))
@click.option("--action", help="Only this Action (or, for an IPN fault, NotificationType).")
@click.option(
    "--service", type=click.Choice(["Off-Amazon Payments", "FPS", "AmazonPayV2"]), help="Only this."
)
@click.option("--code", "error_code", help="error: a documented code (InternalServerError).")
@click.option("--status", "http_status", type=int, help="error: the HTTP status (documented).")
@click.option("--seconds", type=float, help="latency: seconds added; delay: clock seconds.")
@click.option("--max-seconds", type=float, help="latency: uniform between --seconds and this.")
@click.option("--count", type=int, help="Only the next COUNT matching calls (default: all).")
@click.option("--probability", type=float, help="Hit a matching call with this chance.")
@click.option("--seed", type=int, help="Make the draws repeatable.")
def faults_add(api: ControlApi, as_json: bool, seller_id: str, **options: Any) -> None:
    """Add a rule of KIND; the merchant's next matching requests (or IPNs) meet it."""
    body = {name: value for name, value in options.items() if value is not None}
    answer = api.call("POST", f"/merchants/{seller_id}/faults", body=body)
    show_object(answer, as_json, RULE_FIELDS)


@faults.command("list")
@client_command
@merchant_option
def faults_list(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """The merchant's rules, oldest first (used-up ones too)."""
    answer = api.call("GET", f"/merchants/{seller_id}/faults")
    show_list(answer, as_json, RULE_COLUMNS)


@faults.command("delete")
@client_command
@merchant_option
@click.argument("rule_id", type=int)
def faults_delete(api: ControlApi, as_json: bool, seller_id: str, rule_id: int) -> None:
    """Delete rule RULE_ID."""
    answer = api.call("DELETE", f"/merchants/{seller_id}/faults/{rule_id}")
    show(answer, as_json, f"deleted rule {rule_id}")


@faults.command("clear")
@client_command
@merchant_option
def faults_clear(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """Delete every rule of the merchant."""
    answer = api.call("DELETE", f"/merchants/{seller_id}/faults")
    show(answer, as_json, f"deleted {answer['deleted']} rules")


@faults.command("log")
@client_command
@merchant_option
@paged
@click.option("--kind", type=click.Choice(REQUEST_KINDS + IPN_KINDS), help="Only this kind.")
@click.option("--rule", "rule_id", type=int, help="Only this rule's hits.")
@click.option("--request-id", help="The hit on this request (its journal's request id).")
@click.option("--notification", "notification_id", type=int, help="Hits on this notification.")
def faults_log(
    api: ControlApi, as_json: bool, seller_id: str, limit: int, cursor: str | None, **filters: Any
) -> None:
    """What the rules did, newest first: which request or notification, and which rule."""
    params = {"limit": limit, "cursor": cursor, **filters}
    answer = api.call("GET", f"/merchants/{seller_id}/faults/log", params=params)
    show_list(answer, as_json, LOG_COLUMNS)


COMMANDS = [faults]
