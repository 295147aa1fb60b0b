"""The floor of ``gateway serve``'s start: the least a server built on the same stack can do.

A Flask app with one SQLAlchemy ORM model, under gunicorn (one gthread worker, as ``gateway
serve``), whose one route reads its SQLite database: what importing Flask and SQLAlchemy and
starting gunicorn cost before any first answer, measured beside ``gateway serve`` in the same
run (``bench.startup``), so that the gateway's own start-up cost is the difference.

Run: ``python -m bench.floor --port P --database FILE``.
"""

# No ``from __future__ import annotations``: the model below is declared in a function, and
# SQLAlchemy evaluates string annotations in the module's globals, where ``Mapped`` is not.
import argparse
from typing import Any

from gunicorn.app.base import BaseApplication


class FloorServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, port: int, database: str) -> None:
        self.port, self.database = port, database
        super().__init__()

    def load_config(self) -> None:
        for key, value in {
            "bind": [f"127.0.0.1:{self.port}"],
            "workers": 1,
            "worker_class": "gthread",
            "threads": 4,
            "loglevel": "warning",
        }.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported in the worker, after gunicorn's fork, as gateway serve's workers do.
        from flask import Flask, jsonify
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

        class Base(DeclarativeBase):
            pass

        class Merchant(Base):
            __tablename__ = "merchants"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]

        engine = create_engine(f"sqlite:///{self.database}")
        Base.metadata.create_all(engine)
        app = Flask(__name__)

        @app.get("/health")
        def health() -> Any:
            with Session(engine) as session:
                count = session.scalar(select(func.count()).select_from(Merchant))
            return jsonify(status="ok", merchants=count)

        return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args(argv)
    FloorServer(args.port, args.database).run()


if __name__ == "__main__":
    main()
