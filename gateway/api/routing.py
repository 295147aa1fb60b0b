"""The URL rule class of the app: werkzeug's, with its URL builders compiled on first use.

werkzeug compiles two URL-building functions per rule (Python source through ``compile()``)
as the rule is added: about a millisecond each, so a fifth of a second for the app's hundred
rules, paid by every ``gateway serve`` worker before its first answer and by every app a test
builds. Only ``url_for`` calls them (the dashboard's and the hosted pages' links, a few rules),
so each is compiled the first time it is called instead. Two threads building the same URL at
once may both compile it: the results are equal, and the last one kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        # werkzeug's compile() binds what this returns to the rule (``__get__``): a function
        # of the rule and the values, as werkzeug's own builder is.
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, *args, **kwargs)

        return build
