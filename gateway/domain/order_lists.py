"""ListOrderReference and ListOrderReferenceByNextToken: a merchant's order references found by
seller order id, page by page. No Flask here.

[SRC: Amazon Pay API reference, ListOrderReference; amazon_pay ``client.list_order_reference``,
which always sends the PaymentDomain of its region (NA_USD, EU_GBP, EU_EUR, FE_JPY); Java
fixtures ListOrderReferenceResponse.xml, ListOrderReferenceByNextTokenResponse.xml: newest
first, a base64 NextPageToken while more remain.]

A NextPageToken carries the whole query and where the page ended, as base64 JSON: the next call
sends only the token. It names its seller, and is checked like any parameter when it comes back.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.domain.lifecycle import Context
from gateway.domain.states import OrderReferenceState
from gateway.errors import InvalidParameterValue, MissingParameter
from gateway.store.models import OrderReference
from gateway.store.order_lists import order_reference_page

#: The payment domains and their currency (the SDK's region mapping).
PAYMENT_DOMAINS = {"NA_USD": "USD", "EU_EUR": "EUR", "EU_GBP": "GBP", "FE_JPY": "JPY"}
#: The one QueryIdType Amazon offers ("more options will be available in the future").
QUERY_ID_TYPE = "SellerOrderId"
SORT_ORDERS = {"Ascending": True, "Descending": False}
#: UNCONFIRMED: Amazon's page size default and most; the samples show pages of 3 and 7.
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


@dataclass(frozen=True)
class OrderQuery:
    seller_id: str
    seller_order_id: str
    currency: str
    created_from: datetime | None
    created_to: datetime | None
    states: tuple[str, ...]
    ascending: bool
    page_size: int


@dataclass(frozen=True)
class OrderPage:
    orders: list[OrderReference]
    next_page_token: str | None


def list_order_references(
    ctx: Context,
    *,
    query_id: str,
    query_id_type: str,
    payment_domain: str,
    start_time: str | None = None,
    end_time: str | None = None,
    sort_order: str | None = None,
    page_size: int | None = None,
    states: list[str] | None = None,
) -> OrderPage:
    """The first page of order references whose SellerOrderId is ``query_id``."""
    if query_id_type != QUERY_ID_TYPE:
        raise _invalid("QueryIdType", query_id_type, f"must be {QUERY_ID_TYPE}")
    if payment_domain not in PAYMENT_DOMAINS:
        raise _invalid(
            "PaymentDomain", payment_domain, f"must be one of {', '.join(PAYMENT_DOMAINS)}"
        )
    if (start_time is None) != (end_time is None):
        given, missing = ("StartTime", "EndTime") if end_time is None else ("EndTime", "StartTime")
        raise MissingParameter(
            f"The parameter CreatedTimeRange.{missing} is required with CreatedTimeRange.{given} "
            "but was not supplied."
        )
    created_from = _moment("CreatedTimeRange.StartTime", start_time)
    created_to = _moment("CreatedTimeRange.EndTime", end_time)
    if created_from is not None and created_to is not None and created_from > created_to:
        raise _invalid("CreatedTimeRange.EndTime", end_time, "must not be before StartTime")
    if sort_order is not None and sort_order not in SORT_ORDERS:
        raise _invalid("SortOrder", sort_order, "must be Ascending or Descending")
    query = OrderQuery(
        seller_id=ctx.merchant.seller_id,
        seller_order_id=query_id,
        currency=PAYMENT_DOMAINS[payment_domain],
        created_from=created_from,
        created_to=created_to,
        states=tuple(dict.fromkeys(states or ())),
        ascending=SORT_ORDERS.get(sort_order or "Descending", False),
        page_size=DEFAULT_PAGE_SIZE if page_size is None else page_size,
    )
    return _page(ctx, query, None)


def list_next(ctx: Context, next_page_token: str) -> OrderPage:
    """The page after the one that handed out ``next_page_token``."""
    query, after = _decode(next_page_token)
    if query.seller_id != ctx.merchant.seller_id:
        raise _invalid("NextPageToken", next_page_token, "was handed out to another seller")
    return _page(ctx, query, after)


def _page(ctx: Context, query: OrderQuery, after: tuple[datetime, int] | None) -> OrderPage:
    found = order_reference_page(
        ctx.session,
        ctx.merchant.id,
        seller_order_id=query.seller_order_id,
        currency=query.currency,
        created_from=query.created_from,
        created_to=query.created_to,
        states=query.states,
        ascending=query.ascending,
        after=after,
        limit=query.page_size + 1,
    )
    if len(found) <= query.page_size:
        return OrderPage(found, None)
    orders = found[: query.page_size]
    last = orders[-1]
    return OrderPage(orders, _encode(query, (last.created_at, last.id)))


def _invalid(name: str, value: str | None, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {value!r} for parameter {name} is invalid: {why}.")


def _moment(name: str, text: str | None) -> datetime | None:
    """An ISO 8601 date or time (``2024-01-31``, ``2024-01-31T10:00``, with or without an
    offset); without one it is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(name, text, "must be an ISO 8601 date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- NextPageToken ---------------------------------------------------------------------------------


def _encode(query: OrderQuery, after: tuple[datetime, int]) -> str:
    plain = {
        **asdict(query),
        "created_from": _iso(query.created_from),
        "created_to": _iso(query.created_to),
        "states": list(query.states),
        "after": [after[0].isoformat(), after[1]],
    }
    raw = json.dumps(plain, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _decode(token: str) -> tuple[OrderQuery, tuple[datetime, int]]:
    """The query and key of a token this module handed out; InvalidParameterValue otherwise."""
    try:
        plain: Any = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
        states = tuple(OrderReferenceState(state).value for state in plain["states"])
        query = OrderQuery(
            seller_id=_typed(plain["seller_id"], str),
            seller_order_id=_typed(plain["seller_order_id"], str),
            currency=_typed(plain["currency"], str),
            created_from=_aware(plain["created_from"]),
            created_to=_aware(plain["created_to"]),
            states=states,
            ascending=_typed(plain["ascending"], bool),
            page_size=_typed(plain["page_size"], int),
        )
        moment, row_id = plain["after"]
        after = (_required(_aware(moment)), _typed(row_id, int))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError, RecursionError):
        raise _invalid(
            "NextPageToken", token, "is not a token ListOrderReference handed out"
        ) from None
    if query.currency not in PAYMENT_DOMAINS.values() or not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise _invalid("NextPageToken", token, "is not a token ListOrderReference handed out")
    return query, after


def _typed(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise TypeError(f"{value!r} is not a {kind.__name__}")
    return value


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(_typed(value, str))
    if moment.tzinfo is None:
        raise ValueError("a naive time")
    return moment.astimezone(UTC)


def _required(moment: datetime | None) -> datetime:
    if moment is None:
        raise ValueError("no time")
    return moment
