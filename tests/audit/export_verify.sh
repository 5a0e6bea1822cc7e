#!/bin/sh
# ctest-timeout: 300
# ctest-labels: audit;kafka
# `pravah audit export` and `pravah audit verify --archive` on a journal made by the real
# pipeline (tests/audit/archive_lib.sh): the whole journal and every filter (partition, case
# type, office, time range) export to archives that tar reads, whose DIGEST sha256sum confirms,
# that both verifiers pass with the same counts, and whose root --digest checks; an existing file
# is never overwritten; usage and unreadable files exit 2.
. "$(dirname "$0")/archive_lib.sh"
FILES=${FILES:-200}
GRIEV=${GRIEV:-40}
make_journal "$FILES" "$GRIEV"
N=$JOURNAL_RECORDS
CASES=$((FILES + GRIEV))
ok "journal: $N records, $CASES cases in 3 partitions"

# ---- the whole journal ----
A=$WORK/all.tar
export_archive "$A"
grep -q "^export: $N/$N records (100%)" "$WORK/export.err" ||
    fail "no plain progress line on a non-terminal: $(cat "$WORK/export.err")"
[ "$(tar -tf "$A" | tr '\n' ' ')" = \
  "MANIFEST.json partitions/00000.rec partitions/00001.rec partitions/00002.rec INDEX.jsonl DIGEST " ] ||
    fail "members: $(tar -tf "$A" | tr '\n' ' ')"
mkdir "$WORK/x" && tar -xf "$A" -C "$WORK/x" || fail "tar cannot extract the archive"
(cd "$WORK/x" && sed -n 's/^sha256 \([0-9a-f]*\) \(.*\)$/\1  \2/p' DIGEST | sha256sum -c --quiet) ||
    fail "sha256sum disagrees with DIGEST"
[ "$(sed '$d' "$WORK/x/DIGEST" | sha256sum | cut -c1-64)" = "$ROOT" ] ||
    fail "root digest is not the SHA-256 of DIGEST before its root line"
[ "$(wc -l <"$WORK/x/INDEX.jsonl")" -eq "$CASES" ] || fail "INDEX.jsonl: not $CASES lines"
ok "export: tar members in order, DIGEST confirmed by sha256sum, root $ROOT"

verify_c "$A" --digest "$ROOT"
[ "$RC" -eq 0 ] || fail "C verifier fails the honest archive: $(cat "$WORK/verify_c.out" "$WORK/verify_c.err")"
grep -q "^archive root digest: $ROOT" "$WORK/verify_c.out" || fail "C verifier prints no root"
grep -q "^root digest matches --digest" "$WORK/verify_c.out" || fail "--digest not confirmed"
S=$(summary "$WORK/verify_c.out")
case $S in "3 partitions, $N records ("*", $CASES cases, 0 chain stubs, 0 duplicates ignored, 0 findings: PASS") ;;
    *) fail "C summary: $S" ;; esac
verify_py "$A" --digest "$ROOT"
[ "$RC" -eq 0 ] || fail "Python verifier fails the honest archive: $(cat "$WORK/verify_py.out")"
[ "$(summary "$WORK/verify_py.out")" = "$S" ] ||
    fail "verifiers disagree: C '$S', Python '$(summary "$WORK/verify_py.out")'"
ok "verify: C and Python pass with the same summary: $S"

"$PRAVAH" audit verify --bootstrap "$ADDR" >"$WORK/kafka.out" 2>&1 || fail "verify from Kafka failed"
[ "$(summary "$WORK/kafka.out")" = "$S" ] || fail "Kafka and archive differ: $(summary "$WORK/kafka.out")"
ok "verify from Kafka gives the same summary"

verify_c "$A" --digest 0000000000000000000000000000000000000000000000000000000000000000
[ "$RC" -eq 1 ] && grep -q "is not the one given" "$WORK/verify_c.out" || fail "wrong --digest not caught (C)"
verify_py "$A" --digest 0000000000000000000000000000000000000000000000000000000000000000
[ "$RC" -eq 1 ] || fail "wrong --digest not caught (Python)"
ok "a wrong --digest fails both verifiers"

# ---- never overwrite ----
before=$(sha256sum "$A")
if "$PRAVAH" audit export --bootstrap "$ADDR" "$A" >/dev/null 2>"$WORK/again.err"; then
    fail "export overwrote an existing archive"
fi
grep -q "never overwritten" "$WORK/again.err" || fail "no reason given: $(cat "$WORK/again.err")"
[ "$(sha256sum "$A")" = "$before" ] || fail "the existing archive changed"
ls "$WORK" | grep -q 'all.tar.' && fail "staging files left behind: $(ls "$WORK")"
ok "an existing archive is refused and left as it was"

# ---- filters: every exported partition is whole (records or chain stubs) ----
# filtered NAME EXPECT_PARTITIONS EXPECT_RECORDS EXPECT_CASES EXPECT_STUBS ARGS...
filtered() {
    name=$1 np=$2 nr=$3 nc=$4 ns=$5
    shift 5
    export_archive "$WORK/$name.tar" "$@"
    verify_c "$WORK/$name.tar" --digest "$ROOT"
    [ "$RC" -eq 0 ] || fail "$name: C verifier: $(cat "$WORK/verify_c.out" "$WORK/verify_c.err")"
    s=$(summary "$WORK/verify_c.out")
    case $s in "$np partitions, $nr records ("*", $nc cases, $ns chain stubs, 0 duplicates ignored, 0 findings: PASS") ;;
        *) fail "$name: C summary '$s', expected $np partitions, $nr records, $nc cases, $ns stubs" ;; esac
    verify_py "$WORK/$name.tar" --digest "$ROOT"
    [ "$RC" -eq 0 ] || fail "$name: Python verifier: $(cat "$WORK/verify_py.out")"
    [ "$(summary "$WORK/verify_py.out")" = "$s" ] || fail "$name: verifiers disagree"
    ok "export $*: $s"
}
P1=$(kcat -b "$ADDR" -C -t pravah.journal -p 1 -o beginning -e -q -f '%o\n' | wc -l)
P1C=$(kcat -b "$ADDR" -C -t pravah.journal -p 1 -o beginning -e -q -f '%k\n' | sort -u | wc -l)
filtered part1 1 "$P1" "$P1C" 0 --partition 1
filtered griev 3 $((3 * GRIEV)) "$GRIEV" $((N - 3 * GRIEV)) --case-type grievance
filtered nooffice 3 0 0 "$N" --office DIST-NOWHERE
# --from: only the forwards (seq 3) are whole; each grievance resumes after its stubbed records
filtered later 3 "$GRIEV" "$GRIEV" $((N - GRIEV)) --from 2026-04-03
filtered earlier 3 $((N - GRIEV)) "$CASES" "$GRIEV" --to 2026-04-03T00:00:00+05:30
"$PY" - "$WORK/later.tar" <<'EOF' || fail "MANIFEST.json of the --from export"
import json, sys, tarfile
m = json.load(tarfile.open(sys.argv[1]).extractfile("MANIFEST.json"))
assert m["filter"]["from"] == "2026-04-03" and m["filter"]["case_type"] is None, m["filter"]
assert m["version"] == 1 and m["topic"] == "pravah.journal", m
EOF

# ---- usage and unreadable input: exit 2 ----
"$PRAVAH" audit verify --archive "$WORK/missing.tar" >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify of a missing file does not exit 2"
echo "not a tar" >"$WORK/junk.tar"
"$PRAVAH" audit verify --archive "$WORK/junk.tar" >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify of a non-tar does not exit 2"
"$PRAVAH" audit verify --bogus x >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify with a bad option does not exit 2"
"$PRAVAH" audit export --bootstrap "$ADDR" >/dev/null 2>&1
[ $? -eq 2 ] || fail "export without a file does not exit 2"
"$PY" "$VERIFY_PY" "$WORK/missing.tar" >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify_archive.py of a missing file does not exit 2"
ok "usage errors and unreadable archives exit 2"
