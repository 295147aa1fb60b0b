"""Amazon FPS (Flexible Payments Service), Versions 2008-09-17 and 2010-08-28.

What the shared machinery needs of FPS (the token and transaction kinds in ``states``, the
settlement of Pending transactions in ``transactions``, the IPN renderer in ``ipn``) is installed
in the runtime's registry by ``gateway.composition``. No Flask here.
"""
