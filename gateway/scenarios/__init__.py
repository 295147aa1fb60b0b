"""Scenario files: merchants and orders in chosen states, made through the domain's own
operations (``gateway serve --scenario FILE``, ``POST /sandbox/api/v1/scenarios``). No Flask."""
