#!/bin/sh
# `pravah publish --format msgpack`: a stream of structured msgpack maps, validated like JSON lines
# ("event N: error: ..."), published in the same binary mode.
. "$(dirname "$0")/lib.sh"
need_kcat
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
start_broker --partitions 2

# A minimal msgpack writer (maps, strings, small ints, nil): enough for events, no module needed.
python3 - "$WORK/events.msgpack" <<'EOF2'
import struct, sys
def pack(v):
    if v is None: return b'\xc0'
    if isinstance(v, int): return bytes([v]) if 0 <= v < 128 else b'\xd3' + struct.pack('>q', v)
    if isinstance(v, str):
        b = v.encode(); return (bytes([0xa0 | len(b)]) if len(b) < 32 else b'\xd9' + bytes([len(b)])) + b
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b''.join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)
base = {"source": "wms", "type": "works.create", "actor": "E1"}
events = [
    dict(base, id="m-1", subject="WMS/M/1", data={"n": 1}),
    dict(base, id="m-2"),                                   # no subject: invalid
    dict(base, id="m-3", subject="WMS/M/3", time="2026-04-01T10:00:00Z", data={"amount": 3950000}),
    dict(base, id="m-4", subject="WMS/M/4", colour="red"),  # unknown attribute: invalid
    dict(base, id="m-5", subject="WMS/M/5", specversion="1.0"),
]
with open(sys.argv[1], 'wb') as f:
    for e in events: f.write(pack(e))
EOF2

"$PRAVAH" publish --bootstrap "$ADDR" --format msgpack "$WORK/events.msgpack" \
    >"$WORK/pub.out" 2>"$WORK/pub.err"
[ $? -eq 1 ] || fail "invalid events should exit 1"
grep -qx '3 sent, 3 acknowledged, 2 invalid' "$WORK/pub.out" || fail "summary: $(cat "$WORK/pub.out")"
grep -qx 'event 2: error: subject: subject is missing' "$WORK/pub.err" || fail "event 2: $(cat "$WORK/pub.err")"
grep -q "^event 4: error: unknown attribute 'colour'" "$WORK/pub.err" || fail "event 4: $(cat "$WORK/pub.err")"
consume pravah.intake '%k|%h\n' >"$WORK/intake.txt"
[ "$(wc -l <"$WORK/intake.txt")" -eq 3 ] || fail "want 3 messages"
grep -q '^WMS/M/3|ce_specversion=1.0,ce_id=m-3,ce_source=wms,ce_type=works.create,ce_subject=WMS/M/3,ce_time=2026-04-01T10:00:00Z,ce_actor=E1,content-type=application/msgpack$' \
    "$WORK/intake.txt" || fail "headers of m-3: $(cat "$WORK/intake.txt")"
data=$(consume pravah.intake '%k %s\n' | grep -a '^WMS/M/1 ' | cut -c9- | od -An -tx1 | tr -d ' \n')
[ "$data" = "81a16e010a" ] || fail "m-1 data is $data, want 81a16e01 (+ newline)"
ok "msgpack input: validated, numbered, published in binary mode"

# Garbage after valid events: the valid ones go, the rest is reported.
printf '\301\301\301' >>"$WORK/events.msgpack"
"$PRAVAH" publish --bootstrap "$ADDR" --format msgpack "$WORK/events.msgpack" \
    >"$WORK/pub.out" 2>"$WORK/pub.err"
[ $? -eq 1 ] || fail "garbage should exit 1"
grep -q '^event 6: error: not valid msgpack' "$WORK/pub.err" || fail "garbage: $(cat "$WORK/pub.err")"
ok "undecodable msgpack is reported"
stop_broker TERM
