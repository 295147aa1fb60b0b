"""The statements of fault rules and the fault log (``gateway.faults``). No Flask here.

A rule's "next N" is counted down by one UPDATE whose WHERE re-checks what is left, so of two
processes racing for the last fault only one gets it (on PostgreSQL the second UPDATE waits for
the first and re-evaluates its WHERE on the row the first committed; on SQLite writers take
turns): N means N across every server process on the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from gateway.store.models import FaultEvent, FaultRule
from gateway.store.paging import Key, Page, page

_RULES = cast(Table, FaultRule.__table__)
_EVENTS = cast(Table, FaultEvent.__table__)


def _live(merchant_id: int, target: str, service: str | None, action: str | None) -> Any:
    """Rules of the merchant for ``target`` that may still fire on ``service``'s ``action``
    (None: on any service, or any action)."""
    where = [
        FaultRule.merchant_id == merchant_id,
        FaultRule.target == target,
        or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0),
    ]
    if service is not None:
        where.append(or_(FaultRule.service.is_(None), FaultRule.service == service))
    if action is not None:
        where.append(or_(FaultRule.action.is_(None), FaultRule.action == action))
    return tuple(where)


def any_live(
    session: Session, merchant_id: int, target: str, service: str | None, action: str | None
) -> bool:
    """Whether any rule may fire (one indexed lookup: the common answer is no)."""
    found = session.execute(
        select(FaultRule.id).where(*_live(merchant_id, target, service, action)).limit(1)
    )
    return found.first() is not None


def live(
    session: Session, merchant_id: int, target: str, service: str | None, action: str | None
) -> list[FaultRule]:
    """The rules that may fire, oldest first (the order they are tried in)."""
    statement = select(FaultRule).where(*_live(merchant_id, target, service, action))
    return list(session.scalars(statement.order_by(FaultRule.id)))


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
