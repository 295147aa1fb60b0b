"""The Markdown table of a run's JSON, and which targets it met. Pure functions, no I/O."""

from __future__ import annotations

from typing import Any

MEMORY_LIMIT_MIB = 250.0


def _range(s: dict[str, float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})"


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("met" if flag else "**missed**")


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured median, met?) for each target of the issue."""
    rows: list[tuple[str, str, bool | None]] = []
    api = result.get("api")
    if api:
        r, g = api["refund"]["ratio_to_ceiling"], api["get"]["ratio_to_ceiling"]
        vs = api["refund_vs_localstripe"]
        rows += [
            ("signed Refund ≥ 0.6 × ceiling", f"{r['median']:.2f}", r["median"] >= 0.6),
            (
                "signed Refund ≥ 10 × localstripe refund creation",
                f"{vs['median']:.1f}×",
                vs["median"] >= 10,
            ),
            ("signed GetRefundDetails ≥ 0.7 × ceiling", f"{g['median']:.2f}", g["median"] >= 0.7),
        ]
        stored = result["plan"]["stored_refunds"]
        for name, cpu_name, label in (
            ("refund_stored_vs_empty", "refund_cpu_stored_vs_empty", "Refund"),
            ("get_stored_vs_empty", "get_cpu_stored_vs_empty", "GetRefundDetails"),
        ):
            s = api[name]
            rows.append(
                (
                    f"{label} with {stored:,} stored refunds within 10% of empty (req/s, stored/empty)",
                    f"{s['median']:.2f}",
                    s["median"] >= 0.9,
                )
            )
            c = api.get(cpu_name)
            if c and c["median"]:
                rows.append(
                    (
                        f"{label} with {stored:,} stored: server CPU per request within 10% of "
                        "empty (stored/empty)",
                        f"{c['median']:.2f}",
                        c["median"] <= 1.1,
                    )
                )
    listing = result.get("listing")
    if listing:
        ms = listing["ms"]["orders"]["median"]
        rows.append(
            (
                f"sandbox API: {listing['page']} orders of a merchant holding "
                f"{listing['orders']:,}, under 50 ms",
                f"{ms:.1f} ms",
                ms < 50,
            )
        )
    settle = result.get("settlement")
    if settle:
        n = settle["refunds"]
        limit = 20.0 * n / 100_000
        rows.append(
            (
                f"{n:,} due refunds settled in < {limit:g} s",
                f"{settle['seconds']['median']:.1f} s",
                settle["seconds"]["median"] < limit,
            )
        )
    ipn = result.get("ipn")
    if ipn is not None:
        if ipn.get("measured"):
            rate = ipn["per_second"]["median"]
            rows.append(("≥ 500 signed IPNs/s delivered", f"{rate:.0f}/s", rate >= 500))
            delay = ipn.get("delay", {})
            if delay.get("measured"):
                rows.append(
                    (
                        "due-to-acknowledged p99 < 1 s",
                        f"{delay['p99_s']:.2f} s",
                        delay["p99_s"] < 1.0,
                    )
                )
            else:
                rows.append(("due-to-acknowledged p99 < 1 s", "not measured", None))
        else:
            rows.append(("≥ 500 signed IPNs/s delivered", "not measured", None))
            rows.append(("due-to-acknowledged p99 < 1 s", "not measured", None))
    mems = [m for k, m in result.get("memory", {}).items() if k.startswith("gateway")]
    if ipn and ipn.get("measured"):
        mems += [r["memory"] for r in ipn.get("runs", [])]
        if ipn.get("delay", {}).get("measured"):
            mems.append(ipn["delay"]["memory"])
    peaks = [m.get("total_mib", 0.0) for m in mems]
    pss = [m.get("pss_mib", 0.0) for m in mems]
    if settle:
        peaks.append(settle["peak_rss_mib"])
        pss.append(settle["peak_rss_mib"])
    if peaks:
        rows.append(
            (
                f"server memory < {MEMORY_LIMIT_MIB:.0f} MB throughout (peak RSS summed over "
                "its processes)",
                f"{max(peaks):.0f} MiB",
                max(peaks) < MEMORY_LIMIT_MIB,
            )
        )
    if any(pss):
        rows.append(
            (
                f"server memory < {MEMORY_LIMIT_MIB:.0f} MB (PSS: shared pages counted once)",
                f"{max(pss):.0f} MiB",
                max(pss) < MEMORY_LIMIT_MIB,
            )
        )
    return rows


def _row(label: str, a: dict[str, Any]) -> str:
    """A measure's table row: req/s, ratio to the ceiling, latencies, server CPU."""
    return (
        f"| {label} | {_range(a['rps'])} | {_range(a['ratio_to_ceiling'], '{:.2f}')} | "
        f"{_range(a['p50_ms'], '{:.1f}')} | {_range(a['p99_ms'], '{:.1f}')} | "
        f"{_range(a['cpu_ms_per_request'], '{:.2f}')} |"
    )


def _v2_lines(v2: dict[str, Any] | None) -> list[str]:
    """API v2's table: each figure beside the ceiling's RSA-PSS-verifying v2 route."""
    if not v2:
        return []
    lines = [
        "API v2 (load average "
        f"{_range(v2['load_average'], '{:.1f}')}), ratios to the ceiling's v2 route:",
        "",
        "| Measure | req/s | ratio to ceiling | p50 ms | p99 ms | server CPU ms/req |",
        "|---|---|---|---|---|---|",
    ]
    labels = [
        ("ceiling", "Ceiling v2 (Flask + RSA-PSS verify + 1 SQLite insert + 1 select)"),
        ("refund", "Signed v2 Create Refund (new refund on a Captured charge)"),
        ("get", "Signed v2 Get Refund"),
    ]
    for key, label in labels:
        lines.append(_row(label, v2[key]))
    bad = {k: (v2[k]["non2xx"], v2[k]["exhausted"]) for k, _ in labels}
    if any(n or e for n, e in bad.values()):
        lines += ["", f"Non-2xx answers / exhausted bodies: {bad}"]
    return [*lines, ""]


def render_markdown(result: dict[str, Any]) -> str:
    plan = result["plan"]
    m = result["machine"]
    lines = [
        f"### Benchmark ({result['mode']} run, {result['started']})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Linux {m['kernel']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}, {m['wrk']}. "
        f"Load: wrk, {result['connections']} connections, {result['wrk_threads']} threads, "
        f"{plan['seconds']:g} s per run; median of {plan['rounds']} interleaved rounds "
        "(min–max in brackets). Ratios are to the ceiling measured in the same round.",
        "",
    ]
    api = result.get("api")
    if api:
        lines += [
            "| Measure | req/s | ratio to ceiling | p50 ms | p99 ms | server CPU ms/req |",
            "|---|---|---|---|---|---|",
        ]
        labels = [
            ("ceiling", "Ceiling (Flask + HMAC-SHA256 + 1 SQLite insert + 1 select)"),
            ("refund", "Signed Refund (new refund on a fresh capture)"),
            ("get", "Signed GetRefundDetails"),
            ("refund_stored", f"Signed Refund, {plan['stored_refunds']:,} refunds stored"),
            ("get_stored", f"Signed GetRefundDetails, {plan['stored_refunds']:,} refunds stored"),
            ("localstripe_refund", "localstripe: create refund (persistence on)"),
            ("localstripe_get", "localstripe: read refund"),
        ]
        for key, label in labels:
            lines.append(_row(label, api[key]))
        lines += [
            "",
            f"Refund vs localstripe refund creation: "
            f"{_range(api['refund_vs_localstripe'], '{:.1f}')}×. "
            f"Stored / empty: Refund {_range(api['refund_stored_vs_empty'], '{:.2f}')}, "
            f"GetRefundDetails {_range(api['get_stored_vs_empty'], '{:.2f}')} in req/s; "
            f"server CPU per request stored / empty: Refund "
            f"{_range(api['refund_cpu_stored_vs_empty'], '{:.2f}')}, GetRefundDetails "
            f"{_range(api['get_cpu_stored_vs_empty'], '{:.2f}')}.",
            "",
        ]
        bad = {
            k: (v["non2xx"], v["exhausted"])
            for k, v in api.items()
            if isinstance(v, dict) and (v.get("non2xx") or v.get("exhausted"))
        }
        if bad:
            lines += [f"Non-2xx answers / exhausted bodies: {bad}", ""]
    lines += _v2_lines(result.get("v2"))
    listing = result.get("listing")
    if listing:
        listing_labels = {
            "health": "GET /health (baseline)",
            "orders": f"first page of {listing['page']} orders",
            "orders_deep": "the page after the 50,000th order (cursor)",
            "orders_open": "orders in one state (Open: one in ten)",
            "orders_day": "orders created within one day",
            "orders_search": "orders by a capture id",
            "captures": f"first page of {listing['page']} captures",
        }
        lines += [
            f"Sandbox API lists, {listing['orders']:,} orders of one merchant on SQLite "
            f"(one request at a time, keep-alive, median of {listing['requests_per_case']} "
            "requests per round):",
            "",
            "| Request | ms | ratio to GET /health |",
            "|---|---|---|",
        ]
        for key, label in listing_labels.items():
            lines.append(
                f"| {label} | {_range(listing['ms'][key], '{:.1f}')} | "
                f"{_range(listing['ratio_to_health'][key], '{:.2f}')} |"
            )
        lines.append("")
    settle = result.get("settlement")
    if settle:
        lines += [
            f"Settlement: {settle['refunds']:,} due Pending refunds to Completed with their "
            f"notifications written, one `run_due_work`: {_range(settle['seconds'], '{:.1f}')} s "
            f"({_range(settle['per_second'])} refunds/s), worker peak RSS "
            f"{settle['peak_rss_mib']:.0f} MiB.",
            "",
        ]
    ipn = result.get("ipn")
    if ipn is not None:
        if ipn.get("measured"):
            d = ipn.get("delay", {})
            mem = [r["memory"].get("total_mib", 0.0) for r in ipn.get("runs", [])]
            if d.get("measured"):
                mem.append(d["memory"].get("total_mib", 0.0))
            lines += [
                f"IPN delivery: {_range(ipn['per_second'])} signed IPNs/s to a loopback receiver "
                f"(`gateway worker`, {ipn.get('notifications', 0):,} due notifications per round); "
                + (
                    f"due-to-acknowledged p50 {d['p50_s']:.2f} s, p99 {d['p99_s']:.2f} s "
                    f"({d['acknowledged']} refunds made through the API in real time)."
                    if d.get("measured")
                    else "delay not measured."
                )
                + (
                    f" Peak memory {max(mem):.0f} MiB (VmHWM summed over gunicorn's three "
                    "processes and its `gateway worker` in the delay run; PSS "
                    f"{d.get('memory', {}).get('pss_mib', 0):.0f} MiB)."
                    if mem
                    else ""
                ),
                "",
            ]
        else:
            lines += [f"IPN delivery: not measured ({ipn.get('reason')}).", ""]
    memory = result.get("memory")
    if memory:
        parts = [
            f"{k} {v['total_mib']:.0f} MiB (PSS {v.get('pss_mib', 0):.0f} MiB; "
            f"{v['processes']:.0f} processes, largest "
            f"{v['max_process_mib']:.0f})"
            for k, v in memory.items()
        ]
        lines += [
            "Peak memory (VmHWM summed over the server's processes): " + "; ".join(parts) + ".",
            "",
        ]
    lines += ["| Target | Measured (median) | |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {_ok(ok)} |" for t, v, ok in targets(result)]
    return "\n".join(lines) + "\n"
