"""Faults injected on purpose, per merchant, for testing clients' retry and error handling: fault
rules and the fault log (``rules``, ``log``, ``ipn``) and Amazon's throttling (``throttling``)."""
