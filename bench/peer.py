"""localstripe, the peer, bound to 127.0.0.1 only, with its persistence on.

localstripe's own entry point binds every interface (``::``); this starts the same aiohttp app on
loopback. Persistence is localstripe's own and stays on: its store pickles itself to
``/tmp/localstripe.pickle`` on every write. ``--from-scratch`` semantics are kept (the old pickle
is not loaded), so each benchmark round starts from an empty store.

Run: ``python -m bench.peer --port P``.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe.server import app

    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
