"""Export and import of a merchant with many orders: time and peak memory, streamed.

``python -m bench.transfer [--orders 10000] [--baseline-orders 1000]`` bulk-loads a merchant with
``--orders`` order references (each with an authorization, a capture, ten settled refunds, their
reference ids and notifications: ``bench.fixtures.load``), exports it through
``gateway.transfer.export`` to a file and imports that file into a new merchant, each step in a
fresh process. It does the same with ``--baseline-orders`` in the same run, and reports each
step's peak memory growth (VmHWM at the end less VmHWM once the process is warm) and the ratio
of the large to the baseline: about 1 when the step streams, about ``orders / baseline`` when it
holds the merchant in memory. Results: ``bench/results/tmp/transfer.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fixtures import create_database, load

RESULTS = Path(__file__).resolve().parent / "results" / "tmp"


def _hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(step: str, data_dir: Path, merchant_id: int, document: Path) -> dict[str, Any]:
    """One step in this process: ``export`` (to ``document``) or ``import`` (from it)."""
    from sqlalchemy import select

    from gateway.config import Settings
    from gateway.runtime import Runtime
    from gateway.store.models import Merchant
    from gateway.transfer.export import export_merchant
    from gateway.transfer.importing import import_merchant

    runtime = Runtime.from_settings(Settings(data_dir=data_dir, seed_dir=""))
    with runtime.db.session(write=False) as session:  # warm: engine, models, a connection
        session.scalar(select(Merchant.id).limit(1))
    base = _hwm_kib()
    started = time.perf_counter()
    if step == "export":
        with document.open("w", encoding="utf-8") as out:
            for piece in export_merchant(runtime.db, merchant_id, runtime.clock.now()):
                out.write(piece)
        count = document.stat().st_size
    else:
        with document.open("rb") as stream:
            done = import_merchant(runtime, stream)
        count = done.counts.get("order_references", 0)
    seconds = time.perf_counter() - started
    return {
        "step": step,
        "seconds": round(seconds, 2),
        "peak_growth_mib": round((_hwm_kib() - base) / 1024, 1),
        "result": count,
    }


def run_size(orders: int, folder: Path) -> dict[str, Any]:
    data_dir = folder / f"orders-{orders}"
    merchant = create_database(data_dir)
    load(data_dir, merchant, stored_refunds=orders * 10)
    document = folder / f"export-{orders}.json"
    out: dict[str, Any] = {"orders": orders}
    for step in ("export", "import"):
        found = subprocess.run(
            [sys.executable, "-m", "bench.transfer", "--measure", step, "--data-dir", str(data_dir),
             "--merchant-id", str(merchant.id), "--document", str(document)],
            capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        out[step] = json.loads(found.stdout.strip().splitlines()[-1])
    out["document_mib"] = round(document.stat().st_size / 2**20, 1)
    return out


def report(results: list[dict[str, Any]]) -> str:
    small, large = results
    lines = [
        "### Export and import of a merchant (bench/transfer.py)",
        "",
        "| Orders (each: authorization, capture, 10 refunds, their reference ids and IPNs) "
        "| document MiB | export s | export peak growth MiB | import s | import peak growth MiB |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['orders']:,} | {r['document_mib']} | {r['export']['seconds']} | "
            f"{r['export']['peak_growth_mib']} | {r['import']['seconds']} | "
            f"{r['import']['peak_growth_mib']} |"
        )
    factor = large["orders"] / small["orders"]
    for step in ("export", "import"):
        ratio = large[step]["peak_growth_mib"] / max(small[step]["peak_growth_mib"], 0.1)
        lines.append("")
        lines.append(
            f"{step}: peak memory growth {large['orders']:,} / {small['orders']:,} orders = "
            f"{ratio:.2f} (streaming: about 1; holding everything: about {factor:.0f})"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--baseline-orders", type=int, default=1_000)
    parser.add_argument("--measure", choices=("export", "import"))
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--merchant-id", type=int)
    parser.add_argument("--document", type=Path)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.data_dir, args.merchant_id, args.document)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=RESULTS) as folder:  # git-ignored
        results = [run_size(n, Path(folder)) for n in (args.baseline_orders, args.orders)]
    (RESULTS / "transfer.json").write_text(json.dumps(results, indent=2))
    text = report(results)
    (RESULTS / "transfer.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
