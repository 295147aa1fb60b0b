"""What the shared machinery knows of each product's objects, kept on the ``Runtime``.

The lifecycle (``gateway.domain.lifecycle``) checks every state change against a kind's table and
writes its notification; due work (``gateway.domain.settlement``) applies planned outcomes; IPN
delivery renders each notification type. Off-Amazon Payments and FPS each declare theirs, and
``gateway.composition`` installs them into one ``Registry`` per runtime (as Flask keeps its
blueprints and extensions on the app): nothing is registered by importing a module, so what a
process knows does not depend on what it happened to import first. No Flask, no SQL here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Annotations only: the modules that use a registry import none of this one at run time.
    from gateway.domain.lifecycle import Context
    from gateway.domain.records import RefundRecord
    from gateway.ipn.envelope import Outgoing, RenderContext

#: Per kind, the data its notifications carry beyond the state (FPS IPN fields), taken when the
#: change happens so that a later change does not alter what an earlier notification says.
Extra = Callable[[Any], dict[str, Any]]
#: May override a refund's planned outcome at settlement: (state, reason) or None.
RefundOutcomeHook = Callable[["Context", "RefundRecord"], "tuple[str, str | None] | None"]
#: Turns one notification row into the exact request to post.
Renderer = Callable[["RenderContext"], "Outgoing"]


@dataclass(frozen=True)
class Kind:
    """A stateful kind of object: its model, transition table and notifications."""

    name: str
    model: type[Any]
    transitions: Mapping[Any, frozenset[Any]]
    #: The states it is created in; entering one of these at creation is not a transition.
    initial: frozenset[str]
    #: States whose entry is not notified.
    silent: frozenset[str]
    #: Its NotificationType; None when the type depends on the object (``lifecycle``).
    notification: str | None
    extra: Extra | None = None
    #: The ReasonDescription of each (state, reason code), when a change gives none.
    reasons: Mapping[tuple[str, str | None], str] = field(default_factory=dict)

    def allows(self, current: str, target: str) -> bool:
        """Whether the table allows ``current`` -> ``target``."""
        return target in self.transitions.get(current, frozenset())

    def describe(self, state: str, reason_code: str | None) -> str | None:
        """Why an object of this kind is in ``state`` for ``reason_code`` (None: no words)."""
        return self.reasons.get((state, reason_code))


@dataclass(frozen=True)
class DueKind:
    """A model whose rows can carry due work: the states to look in and how to apply it."""

    model: type[Any]
    states: tuple[str, ...]
    #: Applies one due ORM object (loaded with the batch by ``settlement.prefetch``).
    apply: Callable[[Context, Any], None] | None = None
    #: Loader options for what ``apply`` reads of each object (loaded with the batch, not one by one).
    load_options: tuple[Any, ...] = ()
    #: Applies many due objects of this kind at once (ids in due order); returns how many applied.
    #: Used for runs of consecutive items of the kind in a batch; a kind has this or ``apply``.
    apply_many: Callable[[Context, list[int]], int] | None = None

    def __post_init__(self) -> None:
        if (self.apply is None) == (self.apply_many is None):
            raise ValueError(f"{self.name}: give apply or apply_many")

    @property
    def name(self) -> str:
        return self.model.__name__


class Registry:
    """Kinds, due work, refund outcome hooks and IPN renderers, filled by install calls."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}
        self._by_model: dict[type[Any], Kind] = {}
        self._due: dict[str, DueKind] = {}
        self._refund_outcome_hooks: tuple[RefundOutcomeHook, ...] = ()
        self._renderers: dict[str, Renderer] = {}
        # Read-only views, made once: settlement reads them once per refund.
        self._kinds_view = MappingProxyType(self._kinds)
        self._due_view = MappingProxyType(self._due)

    # --- installing ------------------------------------------------------------------------------

    def add_kind(self, kind: Kind) -> None:
        if kind.name in self._kinds or kind.model in self._by_model:
            raise ValueError(f"kind {kind.name} is installed twice")
        self._kinds[kind.name] = kind
        self._by_model[kind.model] = kind

    def add_due(self, due: DueKind) -> None:
        if due.name in self._due:
            raise ValueError(f"due work of {due.name} is installed twice")
        self._due[due.name] = due

    def add_refund_outcome_hook(self, hook: RefundOutcomeHook) -> None:
        self._refund_outcome_hooks += (hook,)

    def add_renderer(self, notification_type: str, renderer: Renderer) -> None:
        if notification_type in self._renderers:
            raise ValueError(f"a renderer of {notification_type!r} is installed twice")
        self._renderers[notification_type] = renderer

    # --- reading ---------------------------------------------------------------------------------

    @property
    def kinds(self) -> Mapping[str, Kind]:
        """Every kind by name, in the order installed."""
        return self._kinds_view

    def kind_of(self, model: type[Any]) -> Kind:
        return self._by_model[model]

    def can_transition(self, kind: str, current: str, target: str) -> bool:
        return self._kinds[kind].allows(current, target)

    @property
    def due(self) -> Mapping[str, DueKind]:
        """Every kind of due work by model name."""
        return self._due_view

    @property
    def refund_outcome_hooks(self) -> tuple[RefundOutcomeHook, ...]:
        """In the order installed; the first that overrides an outcome wins."""
        return self._refund_outcome_hooks

    def renderer(self, notification_type: str) -> Renderer | None:
        return self._renderers.get(notification_type)

    def notification_types(self) -> list[str]:
        """Every NotificationType a renderer is installed for."""
        return sorted(self._renderers)
