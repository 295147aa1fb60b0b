"""A local, offline simulator of Amazon Pay's signed query APIs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> object:
    # Import Flask lazily so that `gateway worker` and the domain never load it.
    if name == "create_app":
        from gateway.app import create_app

        return create_app
    raise AttributeError(name)
