"""Amazon's published host names for the APIs the simulator serves. Constants only.

Clients routed to the simulator through a hosts-file entry or a proxy still use these names: they
sign them (``gateway.signing.signing_hosts``) and check the HTTPS certificate against them
(``gateway.tls``, whose self-signed certificate names them all).
"""

from __future__ import annotations

#: Off-Amazon Payments (MWS) by region: us/na, uk/de/eu, jp [SRC: reference/amazon-wire.md
#: §1.1; amazon_pay/ap_region.py].
MWS_HOSTS = ("mws.amazonservices.com", "mws-eu.amazonservices.com", "mws.amazonservices.jp")

#: FPS: the sandbox's and the live API's [SRC: reference/amazon-wire.md §4.1].
FPS_HOSTS = ("fps.sandbox.amazonaws.com", "fps.amazonaws.com")

#: Amazon Pay API v2 by region [SRC: reference/amazon-pay-v2.md, "Base"].
PAY_API_HOSTS = ("pay-api.amazon.com", "pay-api.amazon.eu", "pay-api.amazon.jp")
