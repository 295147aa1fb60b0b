"""The CLI's client of a running simulator's sandbox control API (JSON under /sandbox/api/v1).

Every client command goes through here and nowhere else: never the database, so the CLI works
against a remote server as well as a local one. Each failure becomes :class:`ApiFailed`, one line
(the API's own code and message, or which URL could not be reached) and a non-zero exit status.
``requests`` is imported when a call is made, not when ``gateway`` starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import click

CONTROL_PATH = "/sandbox/api/v1"
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_MERCHANT = "A2SANDBOXSELLER"  # the merchant seeded from sandbox_data/


class ApiFailed(click.ClickException):
    """A call that did not succeed: one line on stderr, exit status 1."""

    exit_code = 1

    def format_message(self) -> str:
        return " ".join(self.message.split())  # one line, whatever the server's text holds


class ControlApi:
    """The control API of the simulator at ``url`` (its root, e.g. http://127.0.0.1:8080)."""

    def __init__(self, url: str, token: str | None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**found, **(extra or {})}

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: bytes | Iterator[bytes] | None = None,
        content_type: str | None = None,
    ) -> Any:
        """One call (``path`` below /sandbox/api/v1); its JSON answer (None for 204 No Content),
        or :class:`ApiFailed`."""
        response = self._send(method, path, body=body, params=params, data=data, ctype=content_type)
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiFailed(
                f"{method} {self.url}{CONTROL_PATH}{path}: answer is not JSON "
                f"(HTTP {response.status_code})"
            ) from None

    def download(self, path: str, into: Any) -> None:
        """Stream the answer's body into the binary file ``into`` (an export, 64 KiB at a time)."""
        response = self._send("GET", path, stream=True)
        for chunk in response.iter_content(65536):
            into.write(chunk)

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: bytes | Iterator[bytes] | None = None,
        ctype: str | None = None,
        stream: bool = False,
    ) -> Any:
        import requests

        url = f"{self.url}{CONTROL_PATH}{path}"
        extra = {"Content-Type": ctype} if ctype else None
        try:
            response = requests.request(
                method,
                url,
                json=body,
                params=params,
                data=data,
                headers=self.headers(extra),
                timeout=self.timeout,
                stream=stream,
            )
        except requests.ConnectionError:
            raise ApiFailed(f"cannot reach the simulator at {self.url} (is it running?)") from None
        except requests.Timeout:
            raise ApiFailed(f"no answer from {self.url} within {self.timeout:g}s") from None
        except requests.RequestException as exc:
            raise ApiFailed(f"{method} {url}: {exc}") from None
        if response.status_code >= 400:
            raise ApiFailed(error_line(response.status_code, response.content))
        return response


def error_line(status: int, content: bytes) -> str:
    """``Code: message`` from the API's ``{"error": {...}}`` body, else the HTTP status."""
    try:
        error = json.loads(content)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {content[:200].decode('utf-8', 'replace')}"
