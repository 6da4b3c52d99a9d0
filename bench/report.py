"""The benchmark's table, in Markdown so it can be pasted into docs/benchmarks.md as printed."""

TARGET_P95_MS = 60
TARGET_QUERIES = 10
TARGET_SEED_SECONDS_PER_100K = 90


def machine_line(info):
    """One line on the machine (bench.measure.machine()), for the benchmarks that print no full report."""
    load = ", ".join(f"{x:.1f}" for x in info["load_average"])
    return (f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; PostgreSQL {info['postgresql']} "
            f"(shared_buffers {info['shared_buffers']}); load average {load}")


def _mark(ok):
    return "met" if ok else "MISSED"


def _queries_cell(counts):
    """The counts, and whether they meet the target: ≤ 10, the same at both page sizes (lists) or not growing with
    the conversation (details: the second count is the incident with the most entries)."""
    if not counts:
        return "", True
    parts = []
    for label, value in counts.items():
        rows = f", {value['rows']} rows" if value.get("rows") is not None else ""
        parts.append(f"{value['queries']} ({label}{rows})")
    numbers = [value["queries"] for value in counts.values()]
    ok = max(numbers) <= TARGET_QUERIES and numbers[-1] <= numbers[0]
    return " / ".join(parts), ok


def print_report(figures, scenarios):
    m = figures["machine"]
    print()
    print(f"Code: {m.get('revision', '?')}")
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; PostgreSQL {m['postgresql']} "
          f"(shared_buffers {m['shared_buffers']}); Python {m['python']}; "
          f"load average when measuring began {', '.join(f'{x:.1f}' for x in m['load_average'])}"
          + (f", after {', '.join(f'{x:.1f}' for x in m['load_average_after'])}" if "load_average_after" in m else ""))
    if figures["args"].get("pg_options"):
        print(f"PostgreSQL options for this run: {figures['args']['pg_options']}")
    rows = figures.get("rows", {})
    print(f"Data: {rows.get('incidents', '?')} incidents, {rows.get('comments', '?')} conversation entries")
    seed = figures.get("seed")
    if seed:
        limit = TARGET_SEED_SECONDS_PER_100K * seed["incidents"] / 100_000
        print(f"Seeding {seed['incidents']} incidents + {seed['comments']} conversation entries: "
              f"{seed['seconds']:.1f} s (history triggers {'on' if seed['history'] else 'off'}) "
              f"— target ≤ {limit:.0f} s: {_mark(seed['seconds'] <= limit)}")
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in seed.get("steps", {}).items())
        print(f"  planning in Python {seed['plan_seconds']:.1f} s, overlapping the writes: {steps}")
    if not scenarios:
        return
    print()
    print("| measure | median | p95 | target p95 | queries per request | verdict |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for scenario in scenarios:
        r = scenario.results
        if scenario.method == "POST":
            print(f"| {scenario.name} | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms | — | "
                  f"{r['per_second']:.1f} incidents/s (one client, {r['requests']} requests) | — |")
            continue
        cell, queries_ok = _queries_cell(r.get("queries"))
        latency_ok = r["p95_ms"] <= TARGET_P95_MS
        verdict = _mark(latency_ok and queries_ok)
        if not latency_ok and queries_ok:
            verdict = "MISSED (latency)"
        elif latency_ok and not queries_ok:
            verdict = "MISSED (queries)"
        print(f"| {scenario.name} | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms | ≤ {TARGET_P95_MS} ms | "
              f"{cell} | {verdict} |")
