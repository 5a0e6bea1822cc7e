#!/usr/bin/env python3
"""Checks the identity numbers of the payloads kept on pravah.rejected (engine/redact.c).

    check_rejected_identity.py MESSAGES EXPECT STREAM

MESSAGES: `kcat -C -t pravah.rejected -f '%R%s%h\\n'` (each payload with its length, then its
headers on one line). EXPECT: `pravah loadgen --expect` (ID REASON ...). STREAM: the same load as
`pravah loadgen --out` (one CloudEvent a line).

Fails (exit 1, the reasons on stdout) when a message lacks the `pravah-redacted` header, when a
payload holds an Aadhaar-shaped number in clear (12 digits or 4-4-4, first digit 2-9, Verhoeff
check digit), when a refused event that carried an `aadhaar` does not show it masked
(XXXXXXXX and its last 4 digits) with a positive `pravah-redacted`, or when no refused event
carried one (the check would prove nothing). Prints one summary line otherwise."""
import json
import re
import struct
import sys

D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
     [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
     [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
     [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
     [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
     [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
     [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
     [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
AADHAAR = re.compile(rb"(?<![0-9])([2-9][0-9]{3})([ -]?)([0-9]{4})\2([0-9]{4})(?![0-9])")


def verhoeff_ok(digits):
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = D[c][P[i % 8][int(ch)]]
    return c == 0


def messages(path):
    """(payload bytes, headers dict) of each message, in the order read."""
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        (n,) = struct.unpack(">i", data[at:at + 4])
        at += 4
        payload = data[at:at + max(n, 0)]
        at += max(n, 0)
        end = data.index(b"\n", at)
        line = data[at:end].decode("utf-8", "replace")
        at = end + 1
        headers = dict(h.split("=", 1) for h in line.split(",") if "=" in h)
        yield payload, headers


def main():
    msgs, exp, stream = sys.argv[1:4]
    refused = {line.split()[0] for line in open(exp) if line.strip()}
    carried = {}  # refused event id -> its aadhaar
    for line in open(stream):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        if ev.get("id") in refused and isinstance(data.get("aadhaar"), str):
            carried[ev["id"]] = data["aadhaar"]
    errors, total, masked_msgs, shown = [], 0, 0, set()
    for payload, h in messages(msgs):
        total += 1
        ident = h.get("ce_id", "?")
        redacted = h.get("pravah-redacted")
        if redacted is None or not redacted.isdigit():
            errors.append(f"{ident}: no pravah-redacted header")
            continue
        masked_msgs += int(redacted) > 0
        for m in AADHAAR.finditer(payload):
            digits = (m.group(1) + m.group(3) + m.group(4)).decode()
            if verhoeff_ok(digits):
                errors.append(f"{ident}: an Aadhaar number in clear: {digits[:4]}...")
        if ident in carried:
            shown.add(ident)
            tail = carried[ident][-4:].encode()
            if b"XXXXXXXX" + tail not in payload or int(redacted) < 1:
                errors.append(f"{ident}: its aadhaar is not masked (pravah-redacted={redacted})")
    if not carried or not shown:
        errors.append("no refused event carried an aadhaar: the check proves nothing "
                      "(another LG_SEED or more LG_DAYS)")
    if errors:
        print("\n".join(errors[:10]))
        return 1
    print(f"pravah.rejected: {total} payloads, no Aadhaar number in clear in any; "
          f"{len(shown)} refused event(s) carried one, masked; {masked_msgs} with "
          f"pravah-redacted > 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
