#!/bin/sh
# ctest-timeout: 240
# ctest-labels: audit;kafka;e2e
# `pravah audit case` on a case with a known story, journaled by the real pipeline: the embedded
# broker, `pravah advance` on a file clock and `pravah publish`, driven step by step by
# tests/kafka/scenario_driver.py (the same driver as tests/kafka/scenarios_e2e.sh).
#
# The story of e-file DC-GGN/EST/2026/000777 (efile: 7 working-day desk SLA; the breach alerts
# the desk's reporting officer):
#   Wed 1 Apr 10:00  opened by the dealing assistant (EMP-100019), due end of Fri 10 Apr
#   Wed 1 Apr 12:00  forwarded to the superintendent
#   Thu 2 Apr 10:00  opened by the superintendent (EMP-100018)
#   Sat 11 Apr 00:00 sla.breached, level 1, to the CTM (reporting officer of the superintendent)
#   Mon 13 Apr 11:00 forwarded to the CTM: due end of Thu 23 Apr (14 Apr is a holiday)
#   Wed 15 Apr 16:30 opened by the CTM (EMP-100015) and sent back to the dealing assistant
#   Thu 16 Apr 15:00 closed by the dealing assistant
# Another file is opened in between (noise on the journal). Checked: the story's lines (actors,
# posts, roles, states, desks, the alert), the time at each level, --as-of in the middle (the
# superintendent's desk, 2 days overdue, the breach open; and after the forward, no alert open),
# --json parses and agrees, the case is found in the partition computed from the key (and by
# scanning when the configured partitioner is another), an unknown id exits 1.
. "$(dirname "$0")/../kafka/lib.sh"
command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null ||
    { echo "SKIP: python3 with PyYAML is needed"; exit 77; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DRIVER="$SRC/tests/kafka/scenario_driver.py"
ID=DC-GGN/EST/2026/000777

cat >"$WORK/story.yaml" <<'EOF'
title: the known story of audit.case
start: 2026-04-01T10:00:00+05:30
steps:
  - event: {id: ac-1, source: eoffice.test, type: efile.create_file, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100019, data: {subject: "Pay fixation of Sh. Naresh, Steno", category: establishment}}
  - at: 2026-04-01T12:00:00+05:30
    event: {id: ac-2, source: eoffice.test, type: efile.forward, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100019, data: {to_post: DIST-GGN-SUPERINTENDENT, remarks: "Put up"}}
  - at: 2026-04-01T15:00:00+05:30
    event: {id: ac-noise, source: eoffice.test, type: efile.create_file, subject: DC-GGN/GEN/2026/000778,
            actor: EMP-100018, data: {subject: "Annual stock verification", category: general}}
  - at: 2026-04-02T10:00:00+05:30
    event: {id: ac-3, source: eoffice.test, type: efile.open, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100018}
  - advance: 2026-04-11T00:00:00+05:30
  - at: 2026-04-13T11:00:00+05:30
    event: {id: ac-5, source: eoffice.test, type: efile.forward, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100018, data: {to_post: DIST-GGN-CTM, remarks: "Put up for orders"}}
  - at: 2026-04-15T16:30:00+05:30
    event: {id: ac-6, source: eoffice.test, type: efile.open, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100015}
  - event: {id: ac-7, source: eoffice.test, type: efile.forward, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100015, data: {to_post: DIST-GGN-DEALING_ASSISTANT-1, remarks: "Issue orders"}}
  - at: 2026-04-16T15:00:00+05:30
    event: {id: ac-8, source: eoffice.test, type: efile.close, subject: DC-GGN/EST/2026/000777,
            actor: EMP-100019, data: {remarks: "Orders issued"}}
EOF

python3 "$DRIVER" prepare "$WORK/story.yaml" "$SRC" "$WORK" >"$WORK/prepare.out" 2>&1 ||
    fail "prepare: $(cat "$WORK/prepare.out")"
start_broker
PORT=$(free_port)
(cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port "$PORT" \
    --clock "file:$WORK/clock" --set schemas="$WORK/schemas" >"$WORK/advance.out" 2>"$WORK/advance.err") &
APID=$!
PIDS="$PIDS $APID"
python3 "$DRIVER" play "$WORK" "$PRAVAH" "$ADDR" "$PORT" "$WORK/clock" >"$WORK/play.out" 2>&1 ||
    fail "play: $(tail -1 "$WORK/play.out") (advancer: $(tail -1 "$WORK/advance.err"))"
[ "$(grep -c ' accepted$' "$WORK/pipeline.outcomes")" -eq 8 ] ||
    fail "the story's events were not all accepted: $(tr '\n' ' ' <"$WORK/pipeline.outcomes")"
kill -TERM "$APID" && wait "$APID" || fail "the advancer did not stop cleanly"
ok "the story was journaled by the pipeline (8 events accepted)"

# has TEXT FILE: a fixed line (the whole line, leading/trailing blanks ignored) is in FILE.
has() {
    sed 's/^ *//; s/ *$//' "$2" | grep -qxF -- "$1" ||
        { echo "--- $2:" >&2; cat "$2" >&2; fail "missing line: $1"; }
}

"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" >"$WORK/story.txt" 2>"$WORK/story.err" ||
    fail "audit case exited $?: $(cat "$WORK/story.err")"
has "case $ID: efile v1, office DIST-GGN" "$WORK/story.txt"
has "chain: 8 records, intact" "$WORK/story.txt"
grep -q "^journal: pravah.journal partition [0-9]*, offsets [0-9]*\.\.[0-9]* (partition computed from the key" \
    "$WORK/story.txt" || fail "not found through the key's partition: $(sed -n 2p "$WORK/story.txt")"
has "#1   2026-04-01T10:00:00+05:30  efile.create_file by EMP-100019 (post DIST-GGN-DEALING_ASSISTANT-1, role DEALING_ASSISTANT, office DIST-GGN); state (new) -> on_desk; desk (new) -> DIST-GGN-DEALING_ASSISTANT-1; due 2026-04-10T23:59:59.999+05:30" "$WORK/story.txt"
has "#2   2026-04-01T12:00:00+05:30  efile.forward by EMP-100019 (post DIST-GGN-DEALING_ASSISTANT-1, role DEALING_ASSISTANT, office DIST-GGN); desk DIST-GGN-DEALING_ASSISTANT-1 -> DIST-GGN-SUPERINTENDENT" "$WORK/story.txt"
has 'data {"to_post":"DIST-GGN-SUPERINTENDENT","remarks":"Put up"}' "$WORK/story.txt"
has "#3   2026-04-02T10:00:00+05:30  efile.open by EMP-100018 (post DIST-GGN-SUPERINTENDENT, role SUPERINTENDENT, office DIST-GGN)" "$WORK/story.txt"
has "#4   2026-04-11T00:00:00+05:30  ALERT sla.breached level 1 to DIST-GGN-CTM (desk DIST-GGN-SUPERINTENDENT, due 2026-04-10T23:59:59.999+05:30)" "$WORK/story.txt"
has "#5   2026-04-13T11:00:00+05:30  efile.forward by EMP-100018 (post DIST-GGN-SUPERINTENDENT, role SUPERINTENDENT, office DIST-GGN); desk DIST-GGN-SUPERINTENDENT -> DIST-GGN-CTM; due 2026-04-23T23:59:59.999+05:30" "$WORK/story.txt"
has "#7   2026-04-15T16:30:00+05:30  efile.forward by EMP-100015 (post DIST-GGN-CTM, role CTM, office DIST-GGN); desk DIST-GGN-CTM -> DIST-GGN-DEALING_ASSISTANT-1; due 2026-04-24T23:59:59.999+05:30" "$WORK/story.txt"
has "#8   2026-04-16T15:00:00+05:30  efile.close by EMP-100019 (post DIST-GGN-DEALING_ASSISTANT-1, role DEALING_ASSISTANT, office DIST-GGN); state on_desk -> closed; desk DIST-GGN-DEALING_ASSISTANT-1 -> (no desk); no deadline" "$WORK/story.txt"
! grep -q "000778\|ac-noise" "$WORK/story.txt" || fail "another case's record is in the story"
ok "story: actors, posts, roles, states, desks, deadlines and the breach alert"

has "on_desk        DIST-GGN-DEALING_ASSISTANT-1     2026-04-01T10:00:00+05:30 .. 2026-04-01T12:00:00+05:30  0 d 2 h" "$WORK/story.txt"
has "on_desk        DIST-GGN-SUPERINTENDENT          2026-04-01T12:00:00+05:30 .. 2026-04-13T11:00:00+05:30  11 d 23 h, 1 alert" "$WORK/story.txt"
has "on_desk        DIST-GGN-CTM                     2026-04-13T11:00:00+05:30 .. 2026-04-15T16:30:00+05:30  2 d 5 h 30 min" "$WORK/story.txt"
has "on_desk        DIST-GGN-DEALING_ASSISTANT-1     2026-04-15T16:30:00+05:30 .. 2026-04-16T15:00:00+05:30  0 d 22 h 30 min" "$WORK/story.txt"
has "closed         (no desk)                        since 2026-04-16T15:00:00+05:30 (closed: nothing pending)" "$WORK/story.txt"
has "total by state:  on_desk 15 d 5 h;" "$WORK/story.txt"
has "total by desk:  DIST-GGN-DEALING_ASSISTANT-1 1 d 0 h 30 min;  DIST-GGN-SUPERINTENDENT 11 d 23 h;  DIST-GGN-CTM 2 d 5 h 30 min;" "$WORK/story.txt"
has "alerts: 1 (sla.reminder 0, sla.breached 1, sla.escalated 0)" "$WORK/story.txt"
has "closed at 2026-04-16T15:00:00+05:30: nothing pending" "$WORK/story.txt"
ok "time at each level: 0 d 2 h, 11 d 23 h, 2 d 5 h 30 min, 0 d 22 h 30 min; totals by state and desk"

# --as-of a bare date: the end of 12 April in IST, after the breach, before the forward.
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" --as-of 2026-04-12 >"$WORK/asof.txt" 2>&1 ||
    fail "audit case --as-of exited $?: $(cat "$WORK/asof.txt")"
has "story up to 2026-04-12T23:59:59.999+05:30: 4 of 8 records" "$WORK/asof.txt"
has "as of 2026-04-12T23:59:59.999+05:30:" "$WORK/asof.txt"
has "state on_desk, desk DIST-GGN-SUPERINTENDENT" "$WORK/asof.txt"
has "pending at this level since 2026-04-01T12:00:00+05:30: 11 d 11 h 59 min (11 days)" "$WORK/asof.txt"
has "deadline 2026-04-10T23:59:59.999+05:30: overdue by 2 calendar days" "$WORK/asof.txt"
has "alerts open: 1" "$WORK/asof.txt"
has "sla.breached level 1 to DIST-GGN-CTM at 2026-04-11T00:00:00+05:30" "$WORK/asof.txt"
has "on_desk        DIST-GGN-SUPERINTENDENT          2026-04-01T12:00:00+05:30 .. 2026-04-12T23:59:59.999+05:30  11 d 11 h 59 min (open), 1 alert" "$WORK/asof.txt"
! grep -q "#5 \|efile.close\|DIST-GGN-CTM  " "$WORK/asof.txt" || fail "--as-of shows records after the date"
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" --as-of 2026-04-14T12:00:00+05:30 >"$WORK/asof2.txt" 2>&1 ||
    fail "audit case --as-of (2) exited $?"
has "state on_desk, desk DIST-GGN-CTM" "$WORK/asof2.txt"
has "deadline 2026-04-23T23:59:59.999+05:30: not passed" "$WORK/asof2.txt"
has "alerts open: 0" "$WORK/asof2.txt"
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" --as-of 2026-03-31 >"$WORK/early.txt" 2>&1 &&
    fail "--as-of before the case was opened exited 0"
grep -q "did not exist yet" "$WORK/early.txt" || fail "--as-of too early: $(cat "$WORK/early.txt")"
ok "--as-of: the superintendent's desk, 2 days overdue, the breach open; after the forward, none open"

# --json parses and agrees with the text.
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" --json >"$WORK/story.json" 2>"$WORK/json.err" ||
    fail "--json exited $?: $(cat "$WORK/json.err")"
python3 -m json.tool "$WORK/story.json" >/dev/null || fail "--json is not JSON"
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" --json --as-of 2026-04-12 >"$WORK/asof.json" 2>/dev/null ||
    fail "--json --as-of exited $?"
python3 - "$WORK/story.json" "$WORK/asof.json" "$WORK/story.txt" <<'EOF' || fail "--json disagrees"
import json, re, sys
s, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
text = open(sys.argv[3]).read()
def check(cond, what):
    if not cond:
        sys.exit('json: ' + what)
check(s['case'] == 'DC-GGN/EST/2026/000777' and s['case_type'] == 'efile', 'case')
check(s['chain'] == {'records': 8, 'intact': True, 'duplicates_ignored': 0, 'findings': []}, 'chain')
part = int(re.search(r'partition (\d+)', text).group(1))
check(s['journal']['partition'] == part, 'partition differs from the text')
check([r['seq'] for r in s['story']] == list(range(1, 9)), 'seqs')
check([r['actor'] for r in s['story'] if r['kind'] == 'event'] ==
      ['EMP-100019', 'EMP-100019', 'EMP-100018', 'EMP-100018', 'EMP-100015', 'EMP-100015',
       'EMP-100019'], 'actors')
al = [r for r in s['story'] if r['kind'] != 'event']
check(len(al) == 1 and al[0]['kind'] == 'sla.breached' and al[0]['alert_level'] == 1 and
      al[0]['alert_target'] == 'DIST-GGN-CTM' and al[0]['at'] == '2026-04-11T00:00:00+05:30', 'alert')
check(s['story'][1]['data'] == {'to_post': 'DIST-GGN-SUPERINTENDENT', 'remarks': 'Put up'}, 'data')
lv = [(l['state'], l['desk'], l.get('duration', {}).get('text')) for l in s['levels']]
check(lv == [('on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '0 d 2 h'),
             ('on_desk', 'DIST-GGN-SUPERINTENDENT', '11 d 23 h'),
             ('on_desk', 'DIST-GGN-CTM', '2 d 5 h 30 min'),
             ('on_desk', 'DIST-GGN-DEALING_ASSISTANT-1', '0 d 22 h 30 min'),
             ('closed', '', None)], 'levels %r' % lv)
check(s['levels'][1]['duration']['ms'] == (11 * 24 + 23) * 3600000, 'level ms')
check(s['total_by_state']['on_desk']['text'] == '15 d 5 h', 'total by state')
check(s['total_by_desk']['DIST-GGN-DEALING_ASSISTANT-1']['text'] == '1 d 0 h 30 min', 'by desk')
check(s['status']['closed'] and s['status']['state'] == 'closed' and not s['status']['alerts_open'],
      'status now')
st = a['status']
check(len(a['story']) == 4 and st['state'] == 'on_desk' and st['desk'] == 'DIST-GGN-SUPERINTENDENT'
      and st['days_overdue'] == 2 and st['days_pending'] == 11
      and st['deadline'] == '2026-04-10T23:59:59.999+05:30'
      and st['as_of'] == '2026-04-12T23:59:59.999+05:30', 'as-of status %r' % st)
check([(x['kind'], x['level'], x['target']) for x in st['alerts_open']] ==
      [('sla.breached', 1, 'DIST-GGN-CTM')], 'as-of alerts open')
EOF
ok "--json parses and agrees (story, levels, totals, status, --as-of)"

# Another partitioner configured: the case is found by scanning, with the same story.
PRAVAH_KAFKA_PARTITIONER=murmur2 "$PRAVAH" audit case "$ID" --bootstrap "$ADDR" \
    >"$WORK/scan.txt" 2>/dev/null || fail "audit case (scan) exited $?"
grep -q "^journal: .*(partition found by scanning" "$WORK/scan.txt" ||
    fail "not scanned: $(sed -n 2p "$WORK/scan.txt")"
diff "$WORK/story.txt" "$WORK/scan.txt" | grep '^[<>]' | grep -v '^[<>] journal:\|^[<>]   pending\|^[<>] now,' &&
    fail "the scanned story differs"
if command -v kcat >/dev/null 2>&1; then
    want=$(consume pravah.journal '%p %k\n' | awk -v id="$ID" '$2 == id { print $1; exit }')
    grep -q "^journal: pravah.journal partition $want," "$WORK/story.txt" ||
        fail "kcat sees the case in partition $want: $(sed -n 2p "$WORK/story.txt")"
fi
ok "the partition from the key is where the records are; scanning finds the same story"

"$PRAVAH" audit case DC-GGN/EST/2026/999999 --bootstrap "$ADDR" >"$WORK/unknown.out" 2>&1
status=$?
[ "$status" -eq 1 ] || fail "an unknown case exited $status, not 1"
grep -q "no case DC-GGN/EST/2026/999999 in pravah.journal" "$WORK/unknown.out" ||
    fail "unknown case message: $(cat "$WORK/unknown.out")"
"$PRAVAH" audit case --bootstrap "$ADDR" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no case id: expected a usage error (exit 2)"
ok "an unknown case exits 1 with a clear message; no id is a usage error"
P=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["journal"]["partition"])' "$WORK/story.json")

# From an archive (`pravah audit export`): the same story. Skipped while the archive reader is
# not there yet (it says so: "not implemented").
if "$PRAVAH" audit export --bootstrap "$ADDR" "$WORK/journal.tar" >"$WORK/export.out" 2>&1; then
    "$PRAVAH" audit case "$ID" --archive "$WORK/journal.tar" >"$WORK/archive.txt" 2>"$WORK/archive.err"
    status=$?
    if [ "$status" -ne 0 ] && grep -q "not implemented" "$WORK/archive.err"; then
        echo "skip - the archive reader is not implemented yet: $(cat "$WORK/archive.err")"
    else
        [ "$status" -eq 0 ] || fail "audit case --archive exited $status: $(cat "$WORK/archive.err")"
        grep -q "^journal: pravah.journal partition $P, .*(partition read from the archive" \
            "$WORK/archive.txt" || fail "archive: $(sed -n 2p "$WORK/archive.txt")"
        diff "$WORK/story.txt" "$WORK/archive.txt" | grep '^[<>]' |
            grep -v '^[<>] journal:\|^[<>]   pending\|^[<>] now,' && fail "the archive's story differs"
        "$PRAVAH" audit case DC-GGN/EST/2026/999999 --archive "$WORK/journal.tar" >/dev/null 2>&1
        [ $? -eq 1 ] || fail "an unknown case in the archive did not exit 1"
        ok "from the archive: the same story; an unknown case exits 1"
    fi
else
    echo "skip - pravah audit export failed: $(tail -1 "$WORK/export.out")"
fi

# The case's chain is checked while reading: records appended to its partition with kcat (as
# anyone who can write the topic could) show up. An exact copy of the newest record is a
# duplicate delivery, ignored; a copy of it with one byte changed (its hash left as it was) and an
# edited copy of record 2 are findings, exit 1, and stay out of the story; a forged seq 9 (record
# 8 with its seq changed) is told, marked, with its broken seal and prev_hash as findings.
need_kcat
offset_of() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["story"][int(sys.argv[2]) - 1]["offset"])' \
        "$WORK/story.json" "$1"
}
kcat -C -b "$ADDR" -t pravah.journal -p "$P" -o "$(offset_of 8)" -c 1 -e -q -f '%s' >"$WORK/rec8.bin"
kcat -C -b "$ADDR" -t pravah.journal -p "$P" -o "$(offset_of 2)" -c 1 -e -q -f '%s' >"$WORK/rec2.bin"
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
for name, old, new in (('rec8', b'Orders issued', b'Orders issueD'), ('rec2', b'Put up', b'Put on')):
    b = open('%s/%s.bin' % (w, name), 'rb').read()
    assert b.count(old) == 1, (name, len(b))
    open('%s/%s-edited.bin' % (w, name), 'wb').write(b.replace(old, new))
b = open('%s/rec8.bin' % w, 'rb').read()
head = b'\xdc\x00\x17\x01' + bytes([0xa0 + 22]) + b'DC-GGN/EST/2026/000777'
assert b.count(head + b'\x08') == 1
open('%s/rec9-forged.bin' % w, 'wb').write(b.replace(head + b'\x08', head + b'\x09'))
PY
kcat -P -b "$ADDR" -t pravah.journal -p "$P" -k "$ID" "$WORK/rec8.bin" || fail "kcat could not append"
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" >"$WORK/dup.txt" 2>&1 || fail "a duplicate delivery made audit case exit $?"
has "chain: 8 records, intact (1 duplicate deliveries ignored)" "$WORK/dup.txt"
kcat -P -b "$ADDR" -t pravah.journal -p "$P" -k "$ID" "$WORK/rec8-edited.bin" "$WORK/rec2-edited.bin" \
    "$WORK/rec9-forged.bin" ||
    fail "kcat could not append"
"$PRAVAH" audit case "$ID" --bootstrap "$ADDR" >"$WORK/tampered.txt" 2>&1
status=$?
[ "$status" -eq 1 ] || fail "a tampered chain exited $status, not 1"
has "chain: 9 records, NOT intact (1 duplicate deliveries ignored)" "$WORK/tampered.txt"
grep -q "FINDING seq 8 at partition $P offset [0-9]*: fork or reorder: sequence number 8 was already seen with a different record, and this one's seal is broken" \
    "$WORK/tampered.txt" || fail "edited copy of record 8 not reported: $(grep FINDING "$WORK/tampered.txt")"
grep -q "FINDING seq 2 at partition $P offset [0-9]*: fork or reorder: sequence number 2 was already seen" \
    "$WORK/tampered.txt" || fail "edited copy of record 2 not reported: $(grep FINDING "$WORK/tampered.txt")"
! grep -q "issueD\|Put on" "$WORK/tampered.txt" || fail "a tampered record is in the story"
grep -q "FINDING seq 9 at partition $P offset [0-9]*: pseq [0-9]*: body hashes to [0-9a-f]*, record says hash" \
    "$WORK/tampered.txt" || fail "forged seq 9: no seal finding: $(grep FINDING "$WORK/tampered.txt")"
grep -q "FINDING seq 9 at partition $P offset [0-9]*: prev_hash is not the hash of the case's previous record" \
    "$WORK/tampered.txt" || fail "forged seq 9: no prev_hash finding: $(grep FINDING "$WORK/tampered.txt")"
grep -q "^  #9 .*efile.close by EMP-100019 .*  \[FINDING: see chain\]$" "$WORK/tampered.txt" ||
    fail "forged seq 9 is not marked in the story"
[ "$(grep -c '^  FINDING' "$WORK/tampered.txt")" -eq 4 ] || fail "expected 4 findings"
ok "chain findings: edited copies of records 8 and 2 left out, a forged seq 9 marked (exit 1); a duplicate ignored"
