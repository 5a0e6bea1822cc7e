#!/bin/sh
# schemas/asyncapi.yaml describes what `pravah broker` creates: the same topics, the same partition
# counts (with --partitions 6, the default), and it is well-formed AsyncAPI 2.6 in its main parts.
. "$(dirname "$0")/lib.sh"
need_kcat
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 with PyYAML is not installed"; exit 77; }
DOC=$(cd "$(dirname "$0")/../.." && pwd)/schemas/asyncapi.yaml
start_broker
kcat -b "$ADDR" -L >"$WORK/meta.txt" 2>&1 || fail "kcat -L failed"

python3 - "$DOC" "$WORK/meta.txt" <<'EOF2' || fail "asyncapi.yaml and the broker disagree"
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
meta = open(sys.argv[2]).read()
assert doc["asyncapi"] == "2.6.0", "asyncapi version"
broker = {t: int(n) for t, n in re.findall(r'topic "([^"]+)" with (\d+) partitions', meta)}
documented = {name: ch["bindings"]["kafka"]["partitions"] for name, ch in doc["channels"].items()}
assert broker == documented, f"broker {broker} != documented {documented}"
msgs = doc["components"]["messages"]
for name, ch in doc["channels"].items():
    ops = [ch[o] for o in ("publish", "subscribe") if o in ch]
    assert ops, f"{name}: no operation"
    for op in ops:
        ref = op["message"]["$ref"]
        assert ref.startswith("#/components/messages/") and ref.split("/")[-1] in msgs, ref
hdr = doc["components"]["schemas"]["CloudEventHeaders"]["properties"]
want = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_actor",
        "content-type"}
assert set(hdr) == want, f"CloudEvents headers {set(hdr)}"
EOF2
ok "asyncapi.yaml matches the broker's topics and partition counts"
stop_broker TERM
