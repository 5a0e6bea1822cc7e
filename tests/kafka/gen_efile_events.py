#!/usr/bin/env python3
"""Deterministic e-Office load for the advancer tests: N files, each created by a dealing
assistant of DC Gurugram, noted, forwarded to the superintendent, opened and noted there.
Every 20th file also gets a duplicate delivery of its forward and a close by a non-creator,
both of which must be rejected. Prints JSON lines (pravah publish input) to stdout and the
expected counts to stderr as `events=N accepted=A rejected=R`.

Usage: gen_efile_events.py FILES"""
import json
import sys

DA, SUPT = "EMP-100019", "EMP-100018"  # seed officers at DIST-GGN-DEALING_ASSISTANT-1 / SUPERINTENDENT


def ev(eid, etype, subject, actor, data=None):
    e = {"id": eid, "source": "eoffice.test", "type": "efile." + etype, "subject": subject,
         "actor": actor}
    if data is not None:
        e["data"] = data
    return e


def main():
    files = int(sys.argv[1])
    out, accepted, rejected = [], 0, 0
    for i in range(files):
        subj = "DC-GGN/EST/2026/%06d" % (i + 1)
        p = "f%d-" % i
        steps = [
            ev(p + "1", "create_file", subj, DA, {"subject": "File %d" % i, "category": "establishment"}),
            ev(p + "2", "add_note", subj, DA, {"text": "Put up for orders."}),
            ev(p + "3", "forward", subj, DA, {"to_post": "DIST-GGN-SUPERINTENDENT", "remarks": "Put up"}),
            ev(p + "4", "open", subj, SUPT),
            ev(p + "5", "add_note", subj, SUPT, {"text": "Seen."}),
        ]
        accepted += len(steps)
        if i % 20 == 0:
            steps.insert(3, steps[2])  # the same forward delivered twice: duplicate
            steps.append(ev(p + "6", "close", subj, SUPT, {"remarks": "Closed"}))  # not the creator
            rejected += 2
        out.extend(steps)
    for e in out:
        print(json.dumps(e))
    print("events=%d accepted=%d rejected=%d" % (len(out), accepted, rejected), file=sys.stderr)


if __name__ == "__main__":
    main()
