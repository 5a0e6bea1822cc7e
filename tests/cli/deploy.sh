#!/bin/sh
# ctest-timeout: 120
# ctest-labels: unit
# Deployment files (deploy/, docs/DEPLOY.md), which cannot run here, checked as far as this machine
# can: yamllint on every YAML file, `systemd-analyze verify` and an offline security score on the
# units, and that every config key, environment variable, command-line option, topic, metrics port
# and metric name they use is one the code reads or the topic contract (schemas/asyncapi.yaml)
# declares. Exit 77 (skipped) when a linter is missing, after every other check has passed.
P=${1:?usage: $0 PATH-TO-pravah}
case $P in /*) ;; *) P=$(pwd)/$P ;; esac
cd "$(dirname "$0")/../.." || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pravah-cli-deploy.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SKIPPED=

fail() {
    echo "FAIL [deploy]: $*" >&2
    exit 1
}

# Debian's interpreter has python3-yaml (scripts/deps), whatever python3 comes first on PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }

# ---- 1. YAML ----
if command -v yamllint >/dev/null 2>&1; then
    yamllint -s -c deploy/.yamllint deploy/ || fail "yamllint found problems in deploy/"
    echo "ok - yamllint deploy/"
else
    SKIPPED="$SKIPPED yamllint"
fi

# ---- 2. systemd units: the binary path replaced by the one under test, templates instantiated,
# the development drop-in attached; any warning on stderr fails. ----
sa_works() {
    printf '[Service]\nExecStart=/bin/true\n' > "$WORK/probe.service"
    command -v systemd-analyze >/dev/null 2>&1 &&
        systemd-analyze verify "$WORK/probe.service" >/dev/null 2>&1
}
if sa_works; then
    U=$WORK/units
    mkdir -p "$U/pravah-advance.service.d"
    for f in deploy/systemd/*.service; do
        name=$(basename "$f")
        case $name in *@.service) name=${name%@.service}@9464.service ;; esac
        sed "s|/usr/local/bin/pravah|$P|g" "$f" > "$U/$name"
    done
    cp deploy/systemd/dev-box.conf "$U/pravah-advance.service.d/"
    (cd "$U" && systemd-analyze verify ./*.service) > "$WORK/verify.out" 2>&1 ||
        { cat "$WORK/verify.out"; fail "systemd-analyze verify failed"; }
    [ -s "$WORK/verify.out" ] && { cat "$WORK/verify.out"; fail "systemd-analyze verify warned"; }
    n=0
    for u in "$U"/*.service; do
        n=$((n + 1))
        systemd-analyze security --offline=true --threshold=25 "$u" > "$WORK/sec.out" 2>&1 ||
            { tail -n 3 "$WORK/sec.out"; fail "$(basename "$u"): exposure above 2.5"; }
    done
    echo "ok - systemd-analyze verify and security (exposure <= 2.5) of $n units"
else
    SKIPPED="$SKIPPED systemd-analyze"
fi

# ---- 3. kustomize (inside kubectl; not a Debian package): optional ----
if command -v kubectl >/dev/null 2>&1 &&
    kubectl kustomize deploy/ > "$WORK/k8s.yaml" 2>"$WORK/k8s.err"; then
    KUSTOMIZED=$WORK/k8s.yaml
    echo "ok - kubectl kustomize deploy/"
else
    KUSTOMIZED=
    echo "note - kubectl kustomize not available here: the kustomization is checked by name only"
fi

# ---- 4. The environment mapping really applies to the shipped config file ----
err=$(PRAVAH_ADVANCE_CLOCK=nonsense PRAVAH_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 \
      "$P" advance --config deploy/pravah.yaml 2>&1) &&
    fail "PRAVAH_ADVANCE_CLOCK=nonsense accepted"
echo "$err" | grep -q "bad --clock" || fail "PRAVAH_ADVANCE_CLOCK did not override the file: $err"
echo "ok - PRAVAH_<KEY> overrides deploy/pravah.yaml"

# ---- 5. Names: keys, environment, options, topics, ports, metrics ----
if command -v kcat >/dev/null 2>&1; then
    kcat -X list 2>/dev/null | sed -n 's/^\([a-z][a-z0-9._]*\) *|.*/\1/p' > "$WORK/rdkafka.props"
fi
$PY - "$P" "$WORK/rdkafka.props" "$KUSTOMIZED" <<'EOF' || exit 1
import glob, os, re, subprocess, sys
import yaml

P, PROPS, KUSTOMIZED = sys.argv[1], sys.argv[2], sys.argv[3]
errors = []
checked = {"env": 0, "keys": 0, "options": 0, "topics": 0, "metrics": 0}


def err(msg):
    errors.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def env_name(key):
    return "PRAVAH_" + key.upper().replace(".", "_").replace("-", "_")


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = prefix + "." + str(k) if prefix else str(k)
        out.update(flatten(v, key) if isinstance(v, dict) else {key: v})
    return out


# What the code reads.
src = "".join(read(f) for f in sorted(glob.glob("workers/*.c") + glob.glob("connectors/*.c")))
code_keys = set(re.findall(r'pv_config_(?:get|int|set)\(\s*[^,()]+,\s*"([^"]+)"', src))
preset = set(re.findall(r'pv_config_set\(\s*[^,()]+,\s*"([^"]+)",\s*"[^"]*"\s*\)', src))
getenv = set(re.findall(r'getenv\(\s*"([A-Z0-9_]+)"\s*\)', src))
props = set(read(PROPS).split()) if os.path.exists(PROPS) else set()
if not code_keys or "topics.journal" not in code_keys:
    err("found no config keys in workers/ and connectors/: the grep is out of date")

# deploy/pravah.yaml: every key is read by the code, or is a librdkafka property.
config = flatten(yaml.safe_load(read("deploy/pravah.yaml")))
for key in config:
    checked["keys"] += 1
    if key.startswith("kafka."):
        if props and key[6:] not in props:
            err(f"deploy/pravah.yaml: {key}: not a librdkafka property")
    elif key not in code_keys:
        err(f"deploy/pravah.yaml: {key}: no code reads this key")

# Every file that names environment variables, options or topics.
files = [f for f in glob.glob("deploy/**", recursive=True) if os.path.isfile(f)]
files += [f for f in glob.glob("deploy/.*") if os.path.isfile(f)] + ["docs/DEPLOY.md"]
for path in files:
    text = read(path)
    for name in sorted(set(re.findall(r"\bPRAVAH_[A-Z0-9_]+", text))):
        if name.endswith("_"):
            continue  # a prefix named in prose: PRAVAH_KAFKA_<PROP>
        checked["env"] += 1
        if name.startswith("PRAVAH_KAFKA_"):
            prop = name[13:].lower().replace("_", ".")
            if props and prop not in props:
                err(f"{path}: {name}: kafka.{prop} is not a librdkafka property")
            continue
        if name in getenv:
            continue
        keys = [k for k in code_keys if env_name(k) == name]
        if not keys:
            err(f"{path}: {name}: no config key or getenv() of the code has this name")
        elif not any(k in config or k in preset for k in keys):
            err(f"{path}: {name}: ignored, since deploy/pravah.yaml does not set {keys[0]}")
    for key in re.findall(r"--set[ =]([a-z_][a-z0-9_.-]*)=", text):
        checked["keys"] += 1
        if key not in code_keys and not key.startswith("kafka."):
            err(f"{path}: --set {key}: no code reads this key")


# Every `pravah SUBCOMMAND --option` the units, compose and manifests run exists.
def check_argv(where, argv):
    if not argv:
        return
    sub = argv[0]
    run = subprocess.run([P, sub, "--help"], capture_output=True, text=True)
    if run.returncode != 0:
        err(f"{where}: pravah {sub}: not a command")
        return
    for opt in [a for a in argv[1:] if a.startswith("--")]:
        checked["options"] += 1
        if not re.search(re.escape(opt) + r"\b", run.stdout):
            err(f"{where}: pravah {sub} {opt}: not an option of `pravah {sub} --help`")


units = {}
for path in sorted(glob.glob("deploy/systemd/*.service")):
    units[path] = read(path)
    for line in units[path].splitlines():
        if line.startswith("ExecStart=") and "/pravah " in line:
            check_argv(path, line.split("/pravah ", 1)[1].split())

compose = yaml.safe_load(read("deploy/compose.yaml"))
services = compose["services"]
for name, svc in services.items():
    if str(svc.get("image", "")).startswith("pravah"):
        check_argv(f"deploy/compose.yaml: {name}", svc.get("command"))

k8s = {}
for path in sorted(glob.glob("deploy/k8s/*.yaml")):
    k8s[path] = [d for d in yaml.safe_load_all(read(path)) if d]
for path, docs in k8s.items():
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            for c in d["spec"]["template"]["spec"]["containers"]:
                check_argv(f"{path}: {d['metadata']['name']}", c.get("args"))

# Topics: deploy/pravah.yaml, the compose file's topic creation and docs/DEPLOY.md's table name
# the channels of schemas/asyncapi.yaml, with their partition counts and cleanup settings.
channels = yaml.safe_load(read("schemas/asyncapi.yaml"))["channels"]
for key, topic in config.items():
    if key.startswith("topics."):
        checked["topics"] += 1
        if topic not in channels:
            err(f"deploy/pravah.yaml: {key}: {topic} is not a channel of schemas/asyncapi.yaml")
script = "\n".join(services["topics"]["command"])
n = re.search(r"^\s*N=(\d+)\s*$", script, re.M)
created = {}
for topic, parts, rest in re.findall(r"^\s*create (\S+) (\S+)(.*)$", script, re.M):
    created[topic] = (parts, dict(re.findall(r"--config (\S+?)=(\S+)", rest)))
if set(created) != set(channels):
    err(f"deploy/compose.yaml creates {sorted(created)}, asyncapi has {sorted(channels)}")
for topic, (parts, cfg) in created.items():
    checked["topics"] += 1
    b = channels.get(topic, {}).get("bindings", {}).get("kafka", {})
    want = b.get("partitions")
    got = int(n.group(1)) if parts == '"$$N"' and n else (int(parts) if parts.isdigit() else None)
    if want != 1 and parts != '"$$N"':
        err(f"deploy/compose.yaml: {topic}: co-partitioned topics must all use $$N")
    if got != want:
        err(f"deploy/compose.yaml: {topic}: {got} partitions, asyncapi says {want}")
    for k, v in b.get("topicConfiguration", {}).items():
        v = ",".join(v) if isinstance(v, list) else str(v)
        if cfg.get(k) != v:
            err(f"deploy/compose.yaml: {topic}: {k}={cfg.get(k)}, asyncapi says {v}")
doc = read("docs/DEPLOY.md")
rows = re.findall(r"^\| `(pravah\.[a-z_]+)` \| (\d+|N) ", doc, re.M)
if not rows:
    err("docs/DEPLOY.md: no topic table (| `pravah.X` | partitions | ...)")
for topic, parts in rows:
    checked["topics"] += 1
    want = channels.get(topic, {}).get("bindings", {}).get("kafka", {}).get("partitions")
    if topic not in channels:
        err(f"docs/DEPLOY.md: {topic} is not a channel of schemas/asyncapi.yaml")
    elif (want == 1) != (parts == "1"):
        err(f"docs/DEPLOY.md: {topic}: {parts} partitions, asyncapi says {want}")
for topic in re.findall(r"--topic\s+(pravah\.[a-z_]+)", doc):
    if topic not in channels:
        err(f"docs/DEPLOY.md: --topic {topic} is not a channel of schemas/asyncapi.yaml")

# Metrics ports: the probes and health checks ask the port the worker listens on.
ports = {"advance": str(config.get("advance.metrics_port")),
         "project": str(config.get("project.metrics_port"))}
for worker, port in ports.items():
    for path, docs in k8s.items():
        if os.path.basename(path) == worker + ".yaml":
            text = read(path)
            found = set(re.findall(r"127\.0\.0\.1:(\d+)", text))
            found |= set(re.findall(r"^\s+port:\s*(\d+)\s*$", text, re.M))
            if found != {port}:
                err(f"{path}: probes use ports {sorted(found)}, {worker}.metrics_port is {port}")
    found = set(re.findall(r"127\.0\.0\.1:(\d+)", str(services[worker].get("healthcheck"))))
    if found != {port}:
        err(f"deploy/compose.yaml: {worker}: health check on {sorted(found)}, not {port}")

# Metric names (and SQL roles) that docs/DEPLOY.md and the probes name exist in the code.
known = src + "".join(read(f) for f in glob.glob("schemas/sql/*.sql"))
for path in ["docs/DEPLOY.md", "deploy/compose.yaml"] + list(k8s):
    for name in sorted(set(re.findall(r"\bpravah_[a-z0-9_]+", read(path)))):
        checked["metrics"] += 1
        base = re.sub(r"_(sum|count|bucket)$", "", name)
        if not re.search(r"\b(" + re.escape(name) + "|" + re.escape(base) + r")\b", known):
            err(f"{path}: {name}: no metric or SQL name of the code is called this")

# Kubernetes: Secrets, ConfigMap, selectors, probes of every worker.
secrets = {d["metadata"]["name"] for d in k8s.get("deploy/k8s/secret.example.yaml", [])}
kust = yaml.safe_load(read("deploy/kustomization.yaml"))
cms = {g["name"] for g in kust.get("configMapGenerator", [])}
listed = {os.path.normpath(os.path.join("deploy", r)) for r in kust["resources"]}
for path, docs in k8s.items():
    if path not in listed and not path.endswith(".example.yaml"):
        err(f"{path}: not listed in deploy/kustomization.yaml")
    for d in docs:
        spec = d.get("spec", {})
        tpl = spec.get("template", {}).get("spec", {})
        for c in tpl.get("containers", []):
            for ef in c.get("envFrom", []):
                if ef["secretRef"]["name"] not in secrets:
                    err(f"{path}: secret {ef['secretRef']['name']} is not in secret.example.yaml")
            probes = c.get("livenessProbe") and c.get("readinessProbe")
            if d["kind"] == "Deployment" and not probes:
                err(f"{path}: {c['name']}: needs liveness and readiness probes")
            if d["kind"] == "Deployment" and not c.get("resources", {}).get("requests"):
                err(f"{path}: {c['name']}: needs resource requests")
        for v in tpl.get("volumes", []):
            if "configMap" in v and v["configMap"]["name"] not in cms:
                err(f"{path}: ConfigMap {v['configMap']['name']} is not generated")
        if d["kind"] == "Deployment":
            sel, labels = spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]
            if any(labels.get(k) != v for k, v in sel.items()):
                err(f"{path}: selector {sel} does not match the pod labels {labels}")
            pdbs = [p for p in docs if p["kind"] == "PodDisruptionBudget"
                    and p["spec"]["selector"]["matchLabels"] == sel]
            if not pdbs:
                err(f"{path}: no PodDisruptionBudget selects {sel}")
if KUSTOMIZED:
    out = list(yaml.safe_load_all(read(KUSTOMIZED)))
    kinds = sorted(d["kind"] for d in out if d)
    if kinds.count("Deployment") != 2 or "ConfigMap" not in kinds or "Job" not in kinds:
        err(f"kubectl kustomize deploy/: unexpected resources {kinds}")

# systemd: restart policy, the shared environment file and the hardening of every worker unit.
hardening = ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
             "PrivateTmp=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service"]
for path, text in units.items():
    lines = text.splitlines()
    for h in hardening:
        if h not in lines:
            err(f"{path}: missing {h}")
    if "broker" in path:
        if "DEVELOPMENT" not in text:
            err(f"{path}: must say it is for development only")
        continue
    if "EnvironmentFile=/etc/pravah/pravah.env" not in lines:
        err(f"{path}: does not read /etc/pravah/pravah.env")
    if "migrate" not in path and "Restart=always" not in lines:
        err(f"{path}: needs Restart=always")
    if "@." in path and "--metrics-port %i" not in text:
        err(f"{path}: a template must take its metrics port from the instance (%i)")

for e in errors:
    print("FAIL [deploy]:", e, file=sys.stderr)
if errors:
    sys.exit(1)
print("ok - names: {env} environment variables, {keys} config keys, {options} options, "
      "{topics} topic uses, {metrics} metric/SQL names checked".format(**checked)
      + ("" if props else " (librdkafka properties not checked: no kcat)"))
EOF

if [ -n "$SKIPPED" ]; then
    echo "SKIP: not installed or not working here:$SKIPPED (every other check passed)"
    exit 77
fi
echo "ok - deploy"
