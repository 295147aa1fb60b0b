"""Settlement, timed in its own process: ``run_due_work`` over a prepared database.

Run: ``python -m bench.settle --data-dir D``; prints one JSON line with the elapsed seconds, the
transitions applied and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gateway.config import Settings
from gateway.runtime import Runtime
from gateway.worker.jobs import run_due_work


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.settle")
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    runtime = Runtime.from_settings(Settings(data_dir=args.data_dir, seed_dir=""))
    start = time.perf_counter()
    applied = run_due_work(runtime)
    elapsed = time.perf_counter() - start
    runtime.db.dispose()
    print(json.dumps({"seconds": elapsed, "applied": applied, "peak_rss_mib": peak_rss_mib()}))


if __name__ == "__main__":
    main()
