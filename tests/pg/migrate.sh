#!/bin/bash
# Migrations: scripts/pg migrate applies schemas/sql/[0-9]*.sql once each and records them; every
# file also applies again as is, twice, without error; the staging table is exactly the contract
# of docs/PROJECTIONS.md; the seed matches schemas/directory/haryana.yaml and the generator.
# ctest-timeout: 60
. "$(dirname "$0")/lib.sh"
start_pg

files=$(cd "$ROOT/schemas/sql" && ls [0-9]*.sql)
n=$(echo "$files" | wc -l)
"$PG" migrate "$PGDIR" >"$WORK/m1" 2>&1 || { cat "$WORK/m1"; fail "first migrate"; }
[ "$(grep -c '^applied ' "$WORK/m1")" = "$n" ] || fail "expected $n migrations applied:\n$(cat "$WORK/m1")"
"$PG" migrate "$PGDIR" >"$WORK/m2" 2>&1 || { cat "$WORK/m2"; fail "second migrate"; }
[ ! -s "$WORK/m2" ] || fail "second migrate applied something:\n$(cat "$WORK/m2")"
expect "schema_migrations records every file" \
    "SELECT string_agg(version, ' ' ORDER BY version) FROM pravah.schema_migrations" \
    "$(echo "$files" | sed 's/_.*//' | tr '\n' ' ' | sed 's/ $//')"

for round in 1 2; do
    for f in $files; do
        q -1 -f "$ROOT/schemas/sql/$f" >"$WORK/re.out" 2>&1 || {
            cat "$WORK/re.out"
            fail "$f failed when applied again (round $round)"
        }
    done
done
ok "every migration applies again, twice, without error"

expect "staging_records is the contract, column by column" \
    "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position)
       FROM information_schema.columns WHERE table_schema = 'pravah' AND table_name = 'staging_records'" \
    "topic_partition integer NO, kafka_offset bigint NO, pseq bigint NO, case_id text NO, seq bigint NO, case_type text NO, def_version integer NO, kind text NO, event_id text NO, event_type text NO, source text NO, actor text NO, actor_post text NO, actor_role text NO, event_time text NO, accepted_at_ms bigint NO, prev_state text NO, new_state text NO, assignee text NO, deadline_ms bigint NO, alert_level integer NO, alert_target text NO, data jsonb NO, office text NO, hash bytea NO, prev_hash bytea NO, phash bytea NO"
expect "staging_records is UNLOGGED" \
    "SELECT relpersistence FROM pg_class WHERE oid = 'pravah.staging_records'::regclass" "u"
expect "objects are owned by pravah_writer" \
    "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE s.nspname = 'pravah' AND c.relkind IN ('r', 'v') AND pg_get_userbyid(c.relowner) <> 'pravah_writer'" "0"

expect "seed: offices, posts, officers (posted and not), workflow states" \
    "SELECT (SELECT count(*) FROM pravah.offices), (SELECT count(*) FROM pravah.posts),
            (SELECT count(*) FROM pravah.officers), (SELECT count(*) FROM pravah.officers WHERE post IS NULL),
            (SELECT count(*) FROM pravah.workflow_states),
            (SELECT count(*) FROM pravah.workflow_states WHERE terminal)" \
    "$(grep -c '^  - {id: ' <(sed -n '/^offices:/,/^posts:/p' "$ROOT/schemas/directory/haryana.yaml"))|$(grep -c '^  - {id: ' <(sed -n '/^posts:/,/^officers:/p' "$ROOT/schemas/directory/haryana.yaml"))|$(grep -c '^  - {id: ' <(sed -n '/^officers:/,$p' "$ROOT/schemas/directory/haryana.yaml"))|$(sed -n '/^officers:/,$p' "$ROOT/schemas/directory/haryana.yaml" | grep '^  - {id: ' | grep -vc 'post:')|42|9"
expect "seed: a ULB, its kind and district; a post and its holder" \
    "SELECT o.name, o.kind, o.district, h.officer_name
       FROM pravah.offices o, pravah.post_holders h
      WHERE o.office_id = 'ULB-BRR' AND h.post_id = 'GGN-MC-XEN'" \
    "Municipal Committee Barara|committee|AMB|Anil Yadav"

if python3 -c 'import yaml' 2>/dev/null; then
    python3 "$ROOT/scripts/gen_directory_sql.py" -o "$WORK/seed.sql" || fail "gen_directory_sql.py"
    seed=$(cd "$ROOT/schemas/sql" && ls [0-9]*_seed.sql | tail -1)
    cmp -s "$WORK/seed.sql" "$ROOT/schemas/sql/$seed" ||
        fail "schemas/sql/$seed is stale: run python3 scripts/gen_directory_sql.py"
    ok "schemas/sql/$seed is what scripts/gen_directory_sql.py generates"
else
    echo "skip - python3 yaml missing: seed generator not checked"
fi
