"""The options every client command shares: where the simulator is (``--url``/``GATEWAY_URL``),
its token (``--token``/``GATEWAY_TOKEN``), which merchant (``--merchant``/``GATEWAY_MERCHANT``)
and ``--json``. A command decorated with :func:`client_command` gets a :class:`ControlApi`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from gateway.cli.http import DEFAULT_MERCHANT, DEFAULT_URL, ApiFailed, ControlApi


def client_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--url``, ``--token``, ``--json``; call ``func(api=ControlApi, as_json=bool, ...)``."""

    @functools.wraps(func)
    def run(url: str, token: str | None, **options: Any) -> Any:
        try:
            return func(api=ControlApi(url, token), **options)
        except (KeyError, TypeError) as exc:  # a server of another version: one line, no trace
            raise ApiFailed(f"unexpected answer from {url}: {exc!r}") from None

    run = click.option(
        "--json", "as_json", is_flag=True, help="Print the API's JSON answer (for scripts)."
    )(run)
    run = click.option(
        "--token",
        envvar="GATEWAY_TOKEN",
        help="Control API token, admin or the merchant's (default: $GATEWAY_TOKEN).",
    )(run)
    run = click.option(
        "--url",
        envvar="GATEWAY_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="The running simulator (or $GATEWAY_URL).",
    )(run)
    return run


merchant_option = click.option(
    "-m",
    "--merchant",
    "seller_id",
    envvar="GATEWAY_MERCHANT",
    default=DEFAULT_MERCHANT,
    show_default=True,
    help="Seller id of the merchant (or $GATEWAY_MERCHANT).",
)

limit_options = [
    click.option("--limit", type=int, default=50, show_default=True, help="Items per page."),
    click.option("--cursor", help="The page after this one (a list's `next`)."),
]


def paged(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(limit_options):
        func = option(func)
    return func


def progress_shown() -> bool:
    """A progress bar only for a person watching: stdout is a terminal."""
    return sys.stdout.isatty()
