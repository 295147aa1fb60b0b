"""The statements of fault rules and the fault log (``gateway.faults``). No Flask here.

A rule's "next N" is counted down by one UPDATE whose WHERE re-checks what is left, so of two
processes racing for the last fault only one gets it (on PostgreSQL the second UPDATE waits for
the first and re-evaluates its WHERE on the row the first committed; on SQLite writers take
turns): N means N across every server process on the database.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Select, Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from gateway.store.models import FaultEvent, FaultRule
from gateway.store.paging import Key, Page, page

_RULES = cast(Table, FaultRule.__table__)
_EVENTS = cast(Table, FaultEvent.__table__)


@functools.lru_cache(maxsize=8)
def _live(by_service: bool, by_action: bool) -> Any:
    """The condition of the rules of a merchant for a target that may still fire on a service's
    action (``by_service``/``by_action`` False: on any service, or any action). Built once per
    shape, its values bound per call (``_params``): a lookup runs on every signed request, and
    building the statement cost more than running it."""
    where = [
        FaultRule.merchant_id == bindparam("merchant_id"),
        FaultRule.target == bindparam("target"),
        or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0),
    ]
    if by_service:
        where.append(or_(FaultRule.service.is_(None), FaultRule.service == bindparam("service")))
    if by_action:
        where.append(or_(FaultRule.action.is_(None), FaultRule.action == bindparam("action")))
    return tuple(where)


@functools.lru_cache(maxsize=8)
def _any_live_statement(by_service: bool, by_action: bool) -> Select[Any]:
    return select(FaultRule.id).where(*_live(by_service, by_action)).limit(1)


@functools.lru_cache(maxsize=8)
def _live_statement(by_service: bool, by_action: bool) -> Select[Any]:
    return select(FaultRule).where(*_live(by_service, by_action)).order_by(FaultRule.id)


def _params(
    merchant_id: int, target: str, service: str | None, action: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"merchant_id": merchant_id, "target": target}
    if service is not None:
        params["service"] = service
    if action is not None:
        params["action"] = action
    return params


def any_live(
    session: Session, merchant_id: int, target: str, service: str | None, action: str | None
) -> bool:
    """Whether any rule may fire (one indexed lookup: the common answer is no)."""
    statement = _any_live_statement(service is not None, action is not None)
    found = session.execute(statement, _params(merchant_id, target, service, action))
    return found.first() is not None


def live(
    session: Session, merchant_id: int, target: str, service: str | None, action: str | None
) -> list[FaultRule]:
    """The rules that may fire, oldest first (the order they are tried in)."""
    statement = _live_statement(service is not None, action is not None)
    return list(session.scalars(statement, _params(merchant_id, target, service, action)))


def count_match(session: Session, rule_id: int) -> int:
    """Count one more matching call for the rule; how many it has matched now."""
    result = session.execute(
        update(_RULES)
        .where(_RULES.c.id == rule_id)
        .values(matched=_RULES.c.matched + 1)
        .returning(_RULES.c.matched)
    )
    return int(result.scalar_one_or_none() or 0)


def take(session: Session, rule_id: int) -> bool:
    """Take one fault from the rule: False when another process took its last one."""
    done = session.execute(
        update(_RULES)
        .where(
            _RULES.c.id == rule_id,
            or_(_RULES.c.remaining.is_(None), _RULES.c.remaining > 0),
        )
        .values(
            remaining=_RULES.c.remaining - 1,  # NULL stays NULL: a rule without a count
            injected=_RULES.c.injected + 1,
        )
    )
    return cast(CursorResult[Any], done).rowcount == 1


def log(session: Session, event: Mapping[str, Any]) -> None:
    session.execute(insert(_EVENTS), [dict(event)])


def add_rule(session: Session, values: Mapping[str, Any]) -> FaultRule:
    rule = FaultRule(**values)
    session.add(rule)
    session.flush()
    return rule


def rules(session: Session, merchant_id: int, target: str | None = None) -> list[FaultRule]:
    """The merchant's rules (used-up ones included), oldest first."""
    statement = select(FaultRule).where(FaultRule.merchant_id == merchant_id)
    if target is not None:
        statement = statement.where(FaultRule.target == target)
    return list(session.scalars(statement.order_by(FaultRule.id)))


def delete_rule(session: Session, merchant_id: int, rule_id: int) -> bool:
    done = session.execute(
        delete(_RULES).where(_RULES.c.merchant_id == merchant_id, _RULES.c.id == rule_id)
    )
    return cast(CursorResult[Any], done).rowcount == 1


def delete_rules(session: Session, merchant_id: int, target: str | None = None) -> int:
    statement = delete(_RULES).where(_RULES.c.merchant_id == merchant_id)
    if target is not None:
        statement = statement.where(_RULES.c.target == target)
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def events(
    session: Session,
    merchant_id: int,
    *,
    kind: str | None = None,
    rule_id: int | None = None,
    request_id: str | None = None,
    notification_id: int | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[FaultEvent]:
    """The merchant's fault log, newest first, filtered."""
    statement = select(FaultEvent).where(FaultEvent.merchant_id == merchant_id)
    if kind:
        statement = statement.where(FaultEvent.kind == kind)
    if rule_id is not None:
        statement = statement.where(FaultEvent.rule_id == rule_id)
    if request_id:
        statement = statement.where(FaultEvent.request_id == request_id)
    if notification_id is not None:
        statement = statement.where(FaultEvent.notification_id == notification_id)
    return page(
        session,
        statement,
        Key((FaultEvent.id,), (int,)),
        cursor=cursor,
        limit=limit,
        build=lambda row: cast(FaultEvent, row[0]),
        key_of=lambda event: (event.id,),
    )
