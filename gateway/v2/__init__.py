"""Amazon Pay API v2: the third emulated service (REST, JSON, RSASSA-PSS signed requests).

The edge (``edge.py``: route, signature, merchant and environment, strict JSON body,
idempotency, one transaction, the handler, the JSON answer, the journal) serves the dispatch
table of ``operations.py``; handlers are ``calls.Handler``s. Errors are ``errors.V2Error``s,
answered ``{"reasonCode", "message"}``. No Flask in this package: the blueprint is
``gateway.api.v2``.
"""
