"""The token check in front of every view under ``/sandbox/api/v1`` (``gateway.tokens``).

One ``before_request`` on the app, so every blueprint registered under the prefix is behind it
without wiring of its own. What a view needs:

- ``@public``: no token at all (health, the OpenAPI document, the IPN certificate that
  receivers fetch from ``SigningCertURL``).
- a ``<seller_id>`` in its path: the admin token, or that merchant's token. Another merchant's
  token gets 404 ``MerchantNotFound``, exactly as a seller id that does not exist: a merchant
  token cannot even learn which other merchants exist (as the emulated APIs never show one
  merchant another's objects).
- ``@merchant_tokens_allowed``: no seller id, but a merchant token may call it; the view limits
  what it shows to ``principal()`` (the merchant list shows the caller's own merchant).
- anything else: the admin token only; a merchant token gets 403 ``AdminTokenRequired``.

Without a token the request acts as the admin, unless tokens are required
(``Settings.token_required``: the server listens beyond loopback, or ``require_token``): then it
is refused with 401 before the view runs, so nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.api.sandbox import API_PREFIX, json_error, runtime
from gateway.tokens import ADMIN, authenticate

F = TypeVar("F", bound=Callable[..., Any])

#: A view's ``control_access``: who may call it besides the admin (see the module docstring).
PUBLIC, MERCHANT_TOKENS = "public", "merchant-tokens"


def public(view: F) -> F:
    """Mark a view as callable without a token."""
    view.control_access = PUBLIC  # type: ignore[attr-defined]
    return view


def merchant_tokens_allowed(view: F) -> F:
    """Mark a view without ``<seller_id>`` that a merchant token may call (it filters)."""
    view.control_access = MERCHANT_TOKENS  # type: ignore[attr-defined]
    return view


def access_of(view: Callable[..., Any]) -> str | None:
    access: str | None = getattr(view, "control_access", None)
    return access


def install(app: Flask) -> None:
    app.before_request(_check_token)


def _unauthorized(code: str, message: str) -> ResponseReturnValue:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
    return response


def _check_token() -> ResponseReturnValue | None:
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return None  # not the control API, or no such route (404 follows)
    view = current_app.view_functions[request.endpoint]
    access = access_of(view)
    if access == PUBLIC:
        return None
    rt = runtime()
    header = request.headers.get("Authorization")
    if header is None:
        if rt.settings.token_required:
            return _unauthorized(
                "TokenRequired",
                "This sandbox requires a token: send Authorization: Bearer <token> (the admin "
                "token from the server's banner, or a merchant token).",
            )
        g.principal = ADMIN
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _unauthorized("InvalidToken", "The Authorization header must be: Bearer <token>.")
    who = rt.db.run(lambda session: authenticate(session, token, rt.admin_token), write=False)
    if who is None:
        return _unauthorized("InvalidToken", "The token is not valid (unknown or revoked).")
    g.principal = who
    if who.is_admin:
        return None
    seller_id = (request.view_args or {}).get("seller_id")
    if seller_id is not None:
        if not who.may_act_for(seller_id):
            return json_error(404, "MerchantNotFound", f"No merchant with seller id {seller_id!r}.")
        return None
    if access == MERCHANT_TOKENS:
        return None
    return json_error(
        403,
        "AdminTokenRequired",
        "This call needs the admin token; a merchant token cannot make it.",
    )
