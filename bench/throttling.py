"""The cost of throttling per request: the same signed request with throttling on and off.

``python -m bench.throttling [--requests 2000] [--rounds 5]`` makes a gateway in process (SQLite
in a temporary data dir, a frozen clock), two merchants, one throttled by production's quotas,
and sends each ``--requests`` signed GetOrderReferenceDetails through Flask's test client,
alternating rounds. The throttled merchant's clock moves half a second (production's restore
interval for Get* calls) before each request, so every request is let through and pays the
whole check: a read of its bucket ``FOR UPDATE``, an update, and a write transaction where the
read alone needs a read one. Reports the median time per request of each and their ratio, in
``bench/results/tmp/throttling.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "tmp"


def run(requests: int, rounds: int) -> dict[str, Any]:
    from gateway.app import create_app
    from gateway.clock import FrozenClock
    from gateway.config import Settings
    from gateway.runtime import Runtime
    from tests.helpers import SignedApi, new_merchant

    with tempfile.TemporaryDirectory() as folder:
        clock = FrozenClock()
        settings = Settings(data_dir=Path(folder), seed_dir="", scheduler=False, access_log=False)
        runtime = Runtime.from_settings(settings, clock=clock)
        app = create_app(runtime=runtime)
        client = app.test_client()
        apis = {}
        for mode in ("off", "production"):
            api = SignedApi(client, new_merchant(runtime), clock)
            answer = client.put(
                f"/sandbox/api/v1/merchants/{api.merchant.seller_id}/throttling",
                json={"mode": mode},
            )
            assert answer.status_code == 200, answer.data
            apis[mode] = (api, api.new_order())
        per_request: dict[str, list[float]] = {"off": [], "production": []}
        for round_ in range(rounds + 1):  # the first round warms up and is not counted
            for mode, (api, order) in apis.items():
                forms = []
                for _ in range(requests):
                    forms.append(api.form("GetOrderReferenceDetails", AmazonOrderReferenceId=order))
                started = time.perf_counter()
                for form in forms:
                    if mode == "production":
                        clock.advance(0.5)
                    assert api.post(form).status == 200
                if round_:
                    per_request[mode].append((time.perf_counter() - started) / requests * 1e6)
        runtime.journal.dispose()
        runtime.db.dispose()
    off = statistics.median(per_request["off"])
    on = statistics.median(per_request["production"])
    return {
        "requests": requests,
        "rounds": rounds,
        "microseconds_per_request": per_request,
        "median_off_us": off,
        "median_production_us": on,
        "ratio": on / off,
    }


def report(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Throttling: cost per request",
            "",
            f"{result['requests']} signed GetOrderReferenceDetails per round, "
            f"{result['rounds']} rounds, in process (Flask test client, SQLite).",
            "",
            "| Throttling | Median µs per request |",
            "|---|---|",
            f"| off | {result['median_off_us']:.0f} |",
            f"| production (every request let through) | {result['median_production_us']:.0f} |",
            "",
            f"Ratio on/off: **{result['ratio']:.2f}**",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    result = run(options.requests, options.rounds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "throttling.json").write_text(json.dumps(result, indent=2))
    text = report(result)
    (RESULTS / "throttling.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
