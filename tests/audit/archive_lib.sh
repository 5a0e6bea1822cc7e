# Shared by tests/audit/{export_verify,tamper,python_verifier}.sh (sourced, not run): a journal
# made by the real pipeline (embedded broker with 3 partitions, `pravah publish`, `pravah
# advance`), no PostgreSQL. Two advancer runs on two fixed clocks, so the journal has two
# distinct accepted_at times (for --from/--to) and cases that span both:
#   2026-04-01 10:00 IST  FILES e-Office files (5 records each) and GRIEV grievances lodged and
#                         acknowledged (2 records each)
#   2026-04-05 10:00 IST  the same grievances forwarded to the SDM (1 record each)
# Usage in a test: `. "$(dirname "$0")/archive_lib.sh"` with the pravah binary as $1.
case $0 in *archive_lib.sh) echo "archive_lib.sh: a helper sourced by tests/audit/*.sh"; exit 0 ;; esac

. "$(dirname "$0")/../pg/project_lib.sh"
need_kcat
VERIFY_PY=$SRC/scripts/verify_archive.py

# The first python3 that has msgpack (a pyenv python3 on PATH may lack it).
PY=
for py in ${PV_PYTHON:-} python3 /usr/bin/python3; do
    if "$py" -c 'import msgpack' 2>/dev/null; then PY=$py; break; fi
done
[ -n "$PY" ] || { echo "SKIP: no python3 with msgpack (apt-get install python3-msgpack)"; exit 77; }

# gen_grievances N PHASE: grievance events (phase 1: lodge, acknowledge; 2: forward) as JSON lines.
gen_grievances() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
n, phase = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    subj, p = "CMW/2026/%06d" % (i + 1), "g%d-" % i
    def ev(k, t, actor, data=None):
        e = {"id": p + k, "source": "cmwindow.test", "type": "grievance." + t, "subject": subj,
             "actor": actor}
        if data is not None:
            e["data"] = data
        print(json.dumps(e))
    if phase == 1:
        ev("1", "lodge", "CIT-98%08d" % i, {
            "district": "DIST-GGN", "aadhaar": "234567890124", "name": "Citizen %d" % i,
            "mobile": "9812345678", "category": "revenue", "subject": "Mutation %d" % i,
            "description": "Mutation pending with the Patwari, amount 4850 paid."})
        ev("2", "acknowledge", "EMP-100012")
    else:
        ev("3", "forward", "EMP-100012", {"to_post": "DIST-GGN-SDM-1",
                                          "instructions": "Decide within a week."})
EOF
}

# run_advancer CLOCK COUNT: the advancer on a fixed clock until the journal holds COUNT records.
run_advancer() {
    (cd "$WORK" && exec "$PRAVAH" advance --bootstrap "$ADDR" --metrics-port 0 \
        --clock "fixed:$1" >>"$WORK/advance.out" 2>>"$WORK/advance.err") &
    ADV_PID=$!
    PIDS="$PIDS $ADV_PID"
    wait_journal "$2" 180
    kill -TERM "$ADV_PID"
    wait "$ADV_PID" || fail "the advancer exited with $? (see $WORK/advance.err)"
}

# make_journal FILES GRIEV: the journal described above; its size in JOURNAL_RECORDS.
make_journal() {
    start_broker --partitions 3
    gen_load "$1"
    gen_grievances "$2" 1 >"$WORK/griev1.jsonl"
    gen_grievances "$2" 2 >"$WORK/griev2.jsonl"
    publish "$WORK/events.jsonl"
    publish "$WORK/griev1.jsonl"
    run_advancer 2026-04-01T10:00:00+05:30 $((accepted + 2 * $2))
    publish "$WORK/griev2.jsonl"
    run_advancer 2026-04-05T10:00:00+05:30 $((accepted + 3 * $2))
    JOURNAL_RECORDS=$(journal_next)
    [ "$JOURNAL_RECORDS" -eq $((accepted + 3 * $2)) ] ||
        fail "journal holds $JOURNAL_RECORDS records, expected $((accepted + 3 * $2))"
}

# export_archive FILE [ARGS...]: `pravah audit export`; its root digest in ROOT.
export_archive() {
    out=$1
    shift
    "$PRAVAH" audit export --bootstrap "$ADDR" "$@" "$out" >"$WORK/export.out" \
        2>"$WORK/export.err" || fail "export $* failed: $(cat "$WORK/export.err")"
    ROOT=$(sed -n 's/^root digest: //p' "$WORK/export.out")
    [ ${#ROOT} -eq 64 ] || fail "export printed no root digest: $(cat "$WORK/export.out")"
}

# verify_c ARCHIVE [ARGS...] / verify_py ARCHIVE [ARGS...]: exit status in RC, output in
# $WORK/verify_c.out / verify_py.out.
verify_c() {
    a=$1
    shift
    "$PRAVAH" audit verify --archive "$a" "$@" >"$WORK/verify_c.out" 2>"$WORK/verify_c.err"
    RC=$?
}
verify_py() {
    "$PY" "$VERIFY_PY" "$@" >"$WORK/verify_py.out" 2>"$WORK/verify_py.err"
    RC=$?
}

# summary FILE: the verifier's summary line without the archive's name (for comparing).
summary() { grep ' findings: ' "$1" | sed 's/^[^:]*: //'; }
