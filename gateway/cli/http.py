"""The CLI's client of a running simulator's sandbox control API (JSON under /sandbox/api/v1).

Every client command goes through here and nowhere else: never the database, so the CLI works
against a remote server as well as a local one. Each failure becomes :class:`ApiFailed`, one line
(the API's own code and message, or which URL could not be reached) and a non-zero exit status.

The standard library's ``urllib.request`` makes the calls: a command is one process and a call
or two, and importing ``requests`` (with urllib3, charset detection and IDNA) cost more than the
rest of a typical command, about a tenth of a second each time.
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
        answer = self._send(method, path, body=body, params=params, data=data, ctype=content_type)
        with answer:
            if answer.status == 204:
                return None
            content = answer.read()
        try:
            return json.loads(content)
        except ValueError:
            raise ApiFailed(
                f"{method} {self.url}{CONTROL_PATH}{path}: answer is not JSON "
                f"(HTTP {answer.status})"
            ) from None

    def download(self, path: str, into: Any) -> None:
        """Stream the answer's body into the binary file ``into`` (an export, 64 KiB at a time)."""
        with self._send("GET", path) as answer:
            while chunk := answer.read(65536):
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
    ) -> Any:
        """The open answer (an ``http.client.HTTPResponse``) of a call that succeeded."""
        import urllib.error
        import urllib.parse
        import urllib.request

        url = f"{self.url}{CONTROL_PATH}{path}"
        # As requests sent them: parameters without a value left out, a list as repeated keys.
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        headers = self.headers({"Content-Type": ctype} if ctype else None)
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        # An iterator of chunks (an upload) goes out chunked: http.client does that for a body
        # of unknown length.
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            with error:
                raise ApiFailed(error_line(error.code, error.read())) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ApiFailed(f"no answer from {self.url} within {self.timeout:g}s") from None
            if isinstance(exc.reason, OSError):
                raise ApiFailed(
                    f"cannot reach the simulator at {self.url} (is it running?)"
                ) from None
            raise ApiFailed(f"{method} {url}: {exc.reason}") from None
        except TimeoutError:
            raise ApiFailed(f"no answer from {self.url} within {self.timeout:g}s") from None
        except (OSError, ValueError) as exc:  # a connection reset, or a URL urllib cannot use
            raise ApiFailed(f"{method} {url}: {exc}") from None


def error_line(status: int, content: bytes) -> str:
    """``Code: message`` from the API's ``{"error": {...}}`` body, else the HTTP status."""
    try:
        error = json.loads(content)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {content[:200].decode('utf-8', 'replace')}"
