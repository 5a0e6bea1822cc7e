#!/usr/bin/env python3
"""Turns the `BENCH name=... key=value ...` lines of the benchmarks into one table (tests/bench/run).

    table.py SUMMARY_FILE

Each known benchmark maps to rows: figure, value, baseline (what it is measured against, in the
same run), baseline value, ratio, target, verdict. Unknown names are printed as their raw pairs.
"""
import sys


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v):
    x = num(v)
    if x is None:
        return v if v else "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x)}"


def ratio(a, b):
    """a / b, or "-" when b is missing or not positive (a latency under the clocks' 1 ms
    resolution can come out slightly negative)."""
    a, b = num(a), num(b)
    return f"{a / b:.2f}" if a is not None and b is not None and b > 0 else "-"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def rows_for(b):
    n = b.get("name")
    g = b.get
    if n == "engine":
        return [("engine core: events/s, 1 core", g("events_per_s"), "msgpack unpack + copy + SHA-256",
                 g("baseline_per_s"), g("ratio"), ">= 300,000/s", g("target"))]
    if n == "advance":
        return [("advancer: intake -> journal events/s", g("events_per_s"),
                 "raw librdkafka pass-through", g("baseline_per_s"), g("ratio"), "ratio >= 0.60",
                 g("target"))]
    if n == "advance_p99":
        return [(f"publish -> journal p99 ms at {fmt(g('events_per_s'))}/s (half rate)",
                 g("p99_ms"), "pass-through p99 at that rate", g("baseline_p99_ms"),
                 ratio(g("p99_ms"), g("baseline_p99_ms")), "< 100 ms", g("target")),
                ("  p99 ms of the events sent in the first second", g("first_second_p99_ms"),
                 "pass-through, its first second", g("baseline_first_second_p99_ms"),
                 ratio(g("first_second_p99_ms"), g("baseline_first_second_p99_ms")), "-", "-")]
    if n == "advance_rebuild":
        real = g("real_cases")
        rows = [(f"restart: rebuild {fmt(g('cases'))} cases, s (snapshots, model)", g("seconds"),
                 "the journal alone (fold + read)", g("journal_only_s"),
                 ratio(g("seconds"), g("journal_only_s")), "< 10 s", "-" if real else g("target"))]
        if real:
            rows.append((f"restart: REAL pravah advance, {fmt(real)} cases in "
                         f"{fmt(g('real_partitions'))} partitions, s (1M)", g("real_1m_s"),
                         "journal alone, real (1 record a case)", g("real_journal_only_1m_s"),
                         ratio(g("real_1m_s"), g("real_journal_only_1m_s")), "< 10 s",
                         g("target")))
        return rows
    if n in ("project", "project_demo"):
        # project_demo: the same benchmark on the demo's load (LOAD=demo)
        on = " (demo load)" if n == "project_demo" else ""
        rate, raw = num(g("projected_per_s")), num(g("raw_copy_per_s"))
        # Two readings of the "raw binary COPY of the same rows": the journal's rows
        # into one unindexed table, and every row the projection holds (docs/PROJECTOR.md,
        # "Performance"); each gets its own verdict, next to the 50,000/s one.
        rows = [(f"projector{on}: journal -> PostgreSQL records/s", g("projected_per_s"),
                 "raw binary COPY of the journal rows", g("raw_copy_per_s"), ratio(rate, raw),
                 ">= 50,000/s", verdict(rate is not None and rate >= 50000)),
                (f"projector{on}: ratio to the journal rows' raw COPY", g("projected_per_s"),
                 "raw binary COPY of the journal rows", g("raw_copy_per_s"), ratio(rate, raw),
                 ">= 50%", verdict(rate is not None and raw and rate / raw >= 0.5))]
        all_rows = num(g("raw_all_per_s"))
        if all_rows:
            rows.append((f"projector{on}: ratio to its own rows' raw COPY", g("projected_per_s"),
                         "raw binary COPY of every projection row", g("raw_all_per_s"),
                         ratio(rate, all_rows), ">= 50%",
                         verdict(rate is not None and rate / all_rows >= 0.5)))
        if g("two_writers_per_s"):
            rows.append((f"projector{on}, project.writers=2 (same run)", g("two_writers_per_s"),
                         "projector, 1 writer (the default)", g("projected_per_s"),
                         ratio(g("two_writers_per_s"), rate), "-", "-"))
        if g("floor_per_s"):
            # the pass-through (tests/bench/project_floor.c): how much of the raw COPY any
            # projector could reach on this machine, and how much of that this one does
            rows.append((f"pass-through{on}: consume + COPY each message's bytes",
                         g("floor_per_s"), "raw binary COPY of the journal rows",
                         g("raw_copy_per_s"), ratio(g("floor_per_s"), raw), "-", "-"))
            rows.append((f"projector{on}: ratio to the pass-through", g("projected_per_s"),
                         "pass-through (same run)", g("floor_per_s"),
                         ratio(rate, g("floor_per_s")), "-", "-"))
        recs = num(g("records"))
        if g("cpu_bound_ms") and recs and raw:
            # the least wall time the CPU of the projector, its backends and the broker allows
            # over the machine's cores, against the most the ratio target allows
            # (docs/PROJECTOR.md, "Why no projector can meet them on this machine")
            allowed = round(2 * 1000 * recs / raw)
            rows.append((f"projector{on}: CPU bound, least wall ms", g("cpu_bound_ms"),
                         "ms the 50% ratio allows (journal rows)", str(allowed),
                         ratio(g("cpu_bound_ms"), allowed), "-", "-"))
        if g("reference_per_s"):
            rows.append((f"projector{on}: reference design (staging + SQL)", g("reference_per_s"),
                         "raw binary COPY of the journal rows", g("raw_copy_per_s"),
                         ratio(g("reference_per_s"), raw), "-", "-"))
        return rows
    if n == "verify":
        rate = num(g("records_per_s"))
        base = g("baseline_per_s")
        return [("audit verify: records/s", g("records_per_s"), g("baseline", "read + decode alone"),
                 base, g("ratio") or ratio(rate, base), ">= 100,000/s",
                 g("target") or verdict(rate is not None and rate >= 100000))]
    if n == "e2e":
        return [(f"publish -> PostgreSQL p50 ms at {fmt(g('rate'))}/s", g("p50_ms"),
                 "publish -> accepted p50", g("accepted_p50_ms"),
                 ratio(g("p50_ms"), g("accepted_p50_ms")), "-", "-"),
                (f"publish -> PostgreSQL p99 ms at {fmt(g('rate'))}/s", g("p99_ms"),
                 "publish -> accepted p99", g("accepted_p99_ms"), g("ratio"), "-", "-")]
    raw = " ".join(f"{k}={v}" for k, v in b.items() if k != "name")
    return [(f"{n}: {raw}", "", "", "", "", "", "")]


def main():
    rows = [("figure", "value", "baseline (same run)", "baseline value", "ratio", "target",
             "verdict")]
    for line in open(sys.argv[1]):
        pairs = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
        for r in rows_for(pairs):
            rows.append(tuple(fmt(c) if i in (1, 3) else (c or "-") for i, c in enumerate(r)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
