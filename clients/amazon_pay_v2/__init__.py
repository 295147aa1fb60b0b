"""Amazon Pay API v2 (REST, JSON, RSA-PSS signed requests): request signing and verification,
a typed client and the IPN v2 verifier. There is no official Python SDK for v2.

Modules: :mod:`~clients.amazon_pay_v2.signing` (standard library at import, shared with the
simulator, which verifies with it), :mod:`~clients.amazon_pay_v2.client`,
:mod:`~clients.amazon_pay_v2.responses`, :mod:`~clients.amazon_pay_v2.ipn`. Import them directly;
this package module imports nothing so that the simulator loading ``signing`` loads nothing else.
"""
