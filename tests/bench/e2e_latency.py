#!/usr/bin/env python3
"""Publish -> journal -> PostgreSQL latency at a fixed rate (used by tests/bench/bench_e2e.sh).

    e2e_latency.py PRAVAH BOOTSTRAP EVENTS.jsonl RATE

Feeds EVENTS.jsonl to `pravah publish -` at RATE lines per second (stamping each line's send time),
listens on the projector's NOTIFY channel (pravah_projection) and, at each notification, reads the
transitions that became visible. For every projected event: publish -> accepted (the advancer's
wall clock, transitions.accepted_at) and publish -> visible in PostgreSQL (the notification's
arrival after the projector's COMMIT). Environment: PG* (libpq) for the database.
Prints the percentiles and one `BENCH name=e2e ...` line.
"""
import json
import select
import subprocess
import sys
import threading
import time

import psycopg2


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def publish(pravah, bootstrap, lines, rate, sent):
    proc = subprocess.Popen([pravah, "publish", "--bootstrap", bootstrap, "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)
    t0 = time.time()
    for i, (eid, line) in enumerate(lines):
        due = t0 + i / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        sent[eid] = time.time() * 1000.0
        proc.stdin.write(line)
        proc.stdin.flush()
    proc.stdin.close()
    proc.wait()


def main():
    pravah, bootstrap, path, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    lines = []
    with open(path) as f:
        for line in f:
            lines.append((json.loads(line)["id"], line))
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("LISTEN pravah_projection")
    sent, seen = {}, {}
    accepted_lat, visible_lat = [], []
    pub = threading.Thread(target=publish, args=(pravah, bootstrap, lines, rate, sent))
    pub.start()
    since = time.time() - 60
    last_change = time.time()
    while pub.is_alive() or time.time() - last_change < 5:
        if select.select([conn], [], [], 0.5) == ([], [], []):
            continue
        conn.poll()
        arrived = time.time() * 1000.0
        conn.notifies.clear()
        cur.execute("SELECT event_id, extract(epoch FROM accepted_at) * 1000 FROM pravah.transitions"
                    " WHERE accepted_at >= to_timestamp(%s)", (since - 2,))
        for eid, acc in cur.fetchall():
            if eid in seen or eid not in sent:
                continue
            seen[eid] = True
            accepted_lat.append(float(acc) - sent[eid])
            visible_lat.append(arrived - sent[eid])
            last_change = time.time()
        since = time.time() - 5
    n = len(visible_lat)
    print(f"events published: {len(lines)} at {rate:.0f}/s; projected and matched: {n}")
    print(f"publish -> accepted by the advancer: p50 {pct(accepted_lat, 50):.1f} ms, "
          f"p99 {pct(accepted_lat, 99):.1f} ms")
    print(f"publish -> visible in PostgreSQL:   p50 {pct(visible_lat, 50):.1f} ms, "
          f"p99 {pct(visible_lat, 99):.1f} ms")
    p99, j99 = pct(visible_lat, 99), pct(accepted_lat, 99)
    print(f"BENCH name=e2e rate={rate:.0f} events={n} p50_ms={pct(visible_lat, 50):.1f} "
          f"p99_ms={p99:.1f} accepted_p50_ms={pct(accepted_lat, 50):.1f} "
          f"accepted_p99_ms={j99:.1f} ratio={p99 / j99 if j99 > 0 else 0:.2f}")
    return 0 if n > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
