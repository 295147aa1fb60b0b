"""``gateway clock|notifications|journal|export|import|load|reset``: a merchant's clock, its
notifications and request journal, and the sandbox's state as files, through the control API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from gateway.cli.http import ControlApi
from gateway.cli.options import client_command, merchant_option, paged, progress_shown
from gateway.cli.output import fields, show, show_list, show_object

CLOCK_FIELDS = ["now", "frozen", "offset_seconds", "applied_transitions"]
NOTIFICATION_COLUMNS = ["id", "notification_type", "object_id", "state", "reason_code"]
NOTIFICATION_COLUMNS += ["delivery_state", "attempt_count", "changed_at"]
JOURNAL_COLUMNS = ["created_at", "action", "status", "error_code", "latency_ms"]
CHUNK = 65536


@click.group()
def clock() -> None:
    """A merchant's clock: show, advance, freeze, resume, reset."""


def clock_call(api: ControlApi, as_json: bool, seller_id: str, step: str, body: Any = None) -> None:
    path = f"/merchants/{seller_id}/clock" + (f"/{step}" if step else "")
    answer = api.call("POST" if step else "GET", path, body=body)
    show_object(answer, as_json, [n for n in CLOCK_FIELDS if n in answer])


@clock.command("show")
@client_command
@merchant_option
def clock_show(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """The merchant's time: now, frozen or not, and its offset from real time."""
    clock_call(api, as_json, seller_id, "")


@clock.command("advance")
@client_command
@merchant_option
@click.argument("seconds", type=float)
def clock_advance(api: ControlApi, as_json: bool, seller_id: str, seconds: float) -> None:
    """Move the clock SECONDS ahead; what became due runs before the answer."""
    clock_call(api, as_json, seller_id, "advance", {"seconds": seconds})


@clock.command("freeze")
@client_command
@merchant_option
def clock_freeze(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """Stop the merchant's time."""
    clock_call(api, as_json, seller_id, "freeze")


@clock.command("resume")
@client_command
@merchant_option
def clock_resume(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """Let a frozen clock run again from where it stood."""
    clock_call(api, as_json, seller_id, "resume")


@clock.command("reset")
@client_command
@merchant_option
def clock_reset(api: ControlApi, as_json: bool, seller_id: str) -> None:
    """Back to real time, running."""
    clock_call(api, as_json, seller_id, "reset")


@click.group()
def notifications() -> None:
    """A merchant's notifications (IPNs): list, show with attempts, redeliver."""


@notifications.command("list")
@client_command
@merchant_option
@paged
@click.option("--delivery-state", multiple=True, help="pending, in_flight, delivered, failed ...")
@click.option("--type", "notification_type", help="A NotificationType, e.g. PaymentRefund.")
@click.option("--object", "object_id", help="Only this object's (an Amazon id).")
def notifications_list(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    delivery_state: tuple[str, ...],
    notification_type: str | None,
    object_id: str | None,
) -> None:
    """List a merchant's notifications, newest first."""
    params = {"limit": limit, "cursor": cursor, "delivery_state": list(delivery_state)}
    params |= {"type": notification_type, "object_id": object_id}
    answer = api.call("GET", f"/merchants/{seller_id}/notifications", params=params)
    show_list(answer, as_json, NOTIFICATION_COLUMNS)


@notifications.command("show")
@client_command
@merchant_option
@click.argument("notification_id", type=int)
def notifications_show(
    api: ControlApi, as_json: bool, seller_id: str, notification_id: int
) -> None:
    """Show a notification and its delivery attempts."""
    answer = api.call("GET", f"/merchants/{seller_id}/notifications/{notification_id}")
    render = fields(answer, [n for n in NOTIFICATION_COLUMNS if n in answer])
    for attempt in answer.get("attempts", []):
        render += "\nattempt " + " ".join(f"{k}={v}" for k, v in attempt.items())
    show(answer, as_json, render)


@notifications.command("redeliver")
@client_command
@merchant_option
@click.argument("notification_id", type=int)
def notifications_redeliver(
    api: ControlApi, as_json: bool, seller_id: str, notification_id: int
) -> None:
    """Send a notification again (now, to the merchant's IPN URL)."""
    path = f"/merchants/{seller_id}/notifications/{notification_id}/redeliver"
    answer = api.call("POST", path)
    show_object(answer, as_json, [n for n in NOTIFICATION_COLUMNS if n in answer])


@click.command()
@client_command
@merchant_option
@paged
@click.option("--action", help="Only this Action (e.g. Refund).")
@click.option("--failed/--succeeded", default=None, help="Only failed, or only good, requests.")
def journal(
    api: ControlApi,
    as_json: bool,
    seller_id: str,
    limit: int,
    cursor: str | None,
    action: str | None,
    failed: bool | None,
) -> None:
    """The merchant's signed requests, newest first (their parameters, outcome and latency)."""
    params: dict[str, Any] = {"limit": limit, "cursor": cursor, "action": action}
    if failed is not None:
        params["failed"] = "true" if failed else "false"
    answer = api.call("GET", f"/merchants/{seller_id}/journal", params=params)
    show_list(answer, as_json, JOURNAL_COLUMNS)


@click.command("export")
@client_command
@merchant_option
@click.option(
    "-o", "--output", type=click.File("wb"), default="-", help="Write here (default stdout)."
)
def export(api: ControlApi, as_json: bool, seller_id: str, output: IO[bytes]) -> None:
    """Write the merchant's whole state as one JSON document (streamed)."""
    del as_json  # the document is JSON either way
    api.download(f"/merchants/{seller_id}/export", output)


def upload(path: Path, label: str) -> Iterator[bytes]:
    """The file's bytes in chunks, with a progress bar by bytes sent when a person watches."""
    size = os.path.getsize(path)
    with path.open("rb") as source:
        if not progress_shown():
            yield from iter(lambda: source.read(CHUNK), b"")
            return
        with click.progressbar(length=size, label=label, file=sys.stderr) as bar:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                yield chunk
                bar.update(len(chunk))


@click.command("import")
@client_command
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keep-ids", is_flag=True, help="Keep the document's Amazon ids.")
def import_(api: ControlApi, as_json: bool, document: Path, keep_ids: bool) -> None:
    """Make a new merchant from an exported DOCUMENT."""
    params = {"keep_ids": "true"} if keep_ids else None
    answer = api.call(
        "POST",
        "/merchants/import",
        params=params,
        data=upload(document, f"importing {document.name}"),
        content_type="application/json",
    )
    counts = ", ".join(f"{v} {k}" for k, v in answer.get("imported", {}).items() if v)
    show(answer, as_json, f"{answer['seller_id']}: imported {counts or 'nothing'}")


@click.command("load")
@client_command
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(api: ControlApi, as_json: bool, scenario: Path) -> None:
    """Load a SCENARIO file (YAML, or JSON if it ends in .json) into the running sandbox."""
    json_file = scenario.suffix.lower() == ".json"
    answer = api.call(
        "POST",
        "/scenarios",
        data=upload(scenario, f"loading {scenario.name}"),
        content_type="application/json" if json_file else "application/yaml",
    )
    lines = [
        f"{m['seller_id']}: {len(m['orders'])} order(s)"
        + (f", {len(m['fault_rules'])} fault rule(s)" if m.get("fault_rules") else "")
        for m in answer["merchants"]
    ]
    show(answer, as_json, "\n".join(lines))


@click.command("reset")
@client_command
@click.option("-m", "--merchant", "seller_id", help="Reset only this merchant.")
@click.option("--all", "everything", is_flag=True, help="Reset every merchant.")
def reset(api: ControlApi, as_json: bool, seller_id: str | None, everything: bool) -> None:
    """Remove a merchant's objects (or every merchant's with --all); keys and settings stay."""
    if bool(seller_id) == everything:
        raise click.UsageError("give either --merchant SELLER_ID or --all")
    path = "/reset" if everything else f"/merchants/{seller_id}/reset"
    answer = api.call("POST", path)
    show(answer, as_json, f"reset {'every merchant' if everything else seller_id}")


COMMANDS = [clock, notifications, journal, export, import_, load, reset]
