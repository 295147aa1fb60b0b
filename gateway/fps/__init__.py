"""Amazon FPS (Flexible Payments Service), Versions 2008-09-17 and 2010-08-28.

Importing the package registers what the shared machinery needs: the tables (``models``), the
token and transaction state kinds with their notifications (``states``), the settlement of
Pending transactions (``transactions``) and the IPN renderer (``ipn``). ``gateway.runtime``
imports it. No Flask here.
"""

from gateway.fps import ipn, models, states, transactions  # noqa: F401
