#!/usr/bin/env python3
"""Plays a scenario file (tests/scenarios/README.md) through the Kafka pipeline, for
tests/kafka/scenarios_e2e.sh. Python 3 standard library + PyYAML only.

  scenario_driver.py prepare SCENARIO SRCDIR OUTDIR
      Writes OUTDIR/schemas (a copy of SRCDIR/schemas with the scenario's `definitions:` files
      added to workflows/ and its `directory:` additions merged into directory/haryana.yaml) and
      OUTDIR/plan.json (per step: the clock in ms and the event as one JSON line, or none).
      Exit 3 (with the reason on stdout) for a scenario the pipeline cannot play as is: `load:`
      steps load definitions in the middle of a run, which a running advancer cannot do.

  scenario_driver.py play OUTDIR PRAVAH BOOTSTRAP METRICS_PORT CLOCK_FILE
      Drives a running `pravah advance --clock file:CLOCK_FILE`: per step, writes the step's time
      to the clock file and waits until /metrics shows pravah_clock_ms equal to it (the batch
      that read it has fired every timer due by then and its writes are acknowledged), then
      publishes the step's event with `pravah publish` and waits until it is applied or rejected.
      Writes OUTDIR/pipeline.outcomes: one line per event step, "STEP accepted", "STEP rejected
      CODE" or "STEP refused" (`pravah publish` refused to send it: invalid CloudEvent).

  scenario_driver.py engine-outcomes VERBOSE_OUTPUT
      The same lines from `pv_scenario -v` output (a refused event there is "rejected
      malformed"), on stdout.

The scenario runner's conversions are reproduced exactly: YAML scalars become JSON the way
tests/scenarios/yaml_json.c does it (only plain true/false/null/~/empty, 1-18 digit integers and
decimals are typed; everything else is a string), and times are parsed like pv_time_parse with
+05:30 for a date without an offset, durations like the runner's parse_when.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import yaml

IST_MIN = 330
DAY_MS = 86400000


# ---- YAML -> JSON, as tests/scenarios/yaml_json.c ----

INT_RE = re.compile(r'^-?[0-9]{1,18}$')
REAL_RE = re.compile(r'^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$')


def node_to_json(n):
    if isinstance(n, yaml.ScalarNode):
        s = n.value
        if n.style is not None:  # quoted, literal or folded: always a string
            return s
        if s in ('true', 'false'):
            return s == 'true'
        if s in ('', 'null', '~'):
            return None
        if INT_RE.match(s):
            return int(s)
        if REAL_RE.match(s):
            return float(s)
        return s
    if isinstance(n, yaml.SequenceNode):
        return [node_to_json(x) for x in n.value]
    out = {}
    for k, v in n.value:
        out[k.value] = node_to_json(v)
    return out


def get(node, key):
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found = v
    return found


def text(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


# ---- time, as pv_time_parse and the runner's parse_when ----

TIME_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?'
                     r'(?:([Zz])|([+-])(\d{2}):(\d{2})))?$')


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_time(s):
    m = TIME_RE.match(s)
    if not m:
        raise ValueError('bad time %r' % s)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    day = days_from_civil(y, mo, d)
    if m.group(4) is None:
        return day * DAY_MS - IST_MIN * 60000
    ms = ((int(m.group(4)) * 3600 + int(m.group(5)) * 60 + int(m.group(6))) * 1000)
    if m.group(7):
        ms += int((m.group(7) + '00')[:3])  # truncated, never rounded
    if m.group(8):
        off = 0
    else:
        off = (int(m.group(10)) * 60 + int(m.group(11))) * (-1 if m.group(9) == '-' else 1)
    return day * DAY_MS + ms - off * 60000


def parse_when(s, now):
    m = re.match(r'^\s*([+-]?\d+)([dhm])$', s)
    if m:
        unit = {'d': DAY_MS, 'h': 3600000, 'm': 60000}[m.group(2)]
        return now + int(m.group(1)) * unit
    return parse_time(s)


# ---- prepare ----

def flow_item(entry):
    return '  - {' + ', '.join('%s: %s' % (k, json.dumps(str(v))) for k, v in entry.items()
                               if v is not None) + '}\n'


def merge_directory(path, additions):
    """Appends the scenario's offices, posts and officers to their sections of the seed file
    (the runner applies them after the seed, in that order, with the same put operations the
    loader uses)."""
    with open(path, encoding='utf-8') as f:
        lines = f.readlines()
    for section in ('offices', 'posts', 'officers'):
        items = additions.get(section) or []
        if not items:
            continue
        start = next((i for i, l in enumerate(lines) if l.startswith(section + ':')), None)
        if start is None:
            lines.append(section + ':\n')
            start = len(lines) - 1
        end = start + 1
        while end < len(lines) and not re.match(r'^[A-Za-z_]', lines[end]):
            end += 1
        lines[end:end] = [flow_item(e) for e in items]
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(lines)


def prepare(scenario, srcdir, outdir):
    with open(scenario, encoding='utf-8') as f:
        root = yaml.compose(f)
    steps = get(root, 'steps')
    if any(get(s, 'load') is not None for s in steps.value):
        print('load: steps (definitions loaded mid-run; a running advancer cannot)')
        return 3
    schemas = os.path.join(outdir, 'schemas')
    shutil.rmtree(schemas, ignore_errors=True)
    shutil.copytree(os.path.join(srcdir, 'schemas'), schemas)
    defs = get(root, 'definitions')
    for d in (defs.value if defs is not None else []):
        shutil.copy(os.path.join(srcdir, d.value),
                    os.path.join(schemas, 'workflows', 'zz-scenario-' + os.path.basename(d.value)))
    directory = get(root, 'directory')
    if directory is not None:
        merge_directory(os.path.join(schemas, 'directory', 'haryana.yaml'),
                        node_to_json(directory))
    now = parse_time(text(get(root, 'start')))
    plan = []
    for i, s in enumerate(steps.value):
        when = get(s, 'at') or get(s, 'advance')
        if when is not None:
            t = parse_when(text(when), now)
            if t < now:
                raise SystemExit('%s: step %d: the clock cannot go back' % (scenario, i + 1))
            now = t
        ev = get(s, 'event')
        line = None
        if ev is not None:
            # As the runner: json_dumps(JSON_COMPACT) of the converted node, keys in order.
            line = json.dumps(node_to_json(ev), separators=(',', ':'), ensure_ascii=False)
        plan.append({'step': i + 1, 'clock': now, 'event': line})
    with open(os.path.join(outdir, 'plan.json'), 'w', encoding='utf-8') as f:
        json.dump(plan, f, indent=1)
    return 0


# ---- play ----

def metrics(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
        body = r.read().decode()
    out = {}
    for l in body.splitlines():
        if l and not l.startswith('#'):
            name, _, value = l.rpartition(' ')
            out[name] = int(float(value))
    return out


def rejected(m):
    return {k[len('pravah_events_rejected_total{reason="'):-2]: v for k, v in m.items()
            if k.startswith('pravah_events_rejected_total{')}


def wait_for(port, cond, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            m = metrics(port)
            if cond(m):
                return m
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(0.01)


def write_clock(path, ms):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % ms)
    os.rename(tmp, path)  # the advancer never reads half a time


def play(outdir, pravah, bootstrap, port, clock_file):
    with open(os.path.join(outdir, 'plan.json'), encoding='utf-8') as f:
        plan = json.load(f)
    outcomes = []
    for p in plan:
        t = p['clock']
        write_clock(clock_file, t)
        wait_for(port, lambda m: m.get('pravah_clock_ms') == t,
                 'step %d: pravah_clock_ms = %d' % (p['step'], t))
        if p['event'] is None:
            continue
        before = metrics(port)
        pub = subprocess.run([pravah, 'publish', '--bootstrap', bootstrap, '-'],
                             input=(p['event'] + '\n').encode(), capture_output=True)
        out = pub.stdout.decode() + pub.stderr.decode()
        if re.search(r'^0 sent, 0 acknowledged, 1 invalid', out, re.M):
            outcomes.append('%d refused' % p['step'])
            with open(os.path.join(outdir, 'publish.refused'), 'a') as f:
                f.write('step %d: %s' % (p['step'], pub.stderr.decode()))
            continue
        if pub.returncode != 0 or '1 sent, 1 acknowledged, 0 invalid' not in out:
            raise SystemExit('step %d: publish failed: %s' % (p['step'], out.strip()))

        def handled(m):
            return (m['pravah_events_applied_total'] + sum(rejected(m).values()) >
                    before['pravah_events_applied_total'] + sum(rejected(before).values()))
        after = wait_for(port, handled, 'step %d: the event to be applied or rejected' % p['step'])
        if after['pravah_events_applied_total'] > before['pravah_events_applied_total']:
            outcomes.append('%d accepted' % p['step'])
        else:
            rb, ra = rejected(before), rejected(after)
            codes = [c for c in ra if ra[c] > rb.get(c, 0)]
            outcomes.append('%d rejected %s' % (p['step'], ','.join(codes)))
    with open(os.path.join(outdir, 'pipeline.outcomes'), 'w') as f:
        f.write(''.join(o + '\n' for o in outcomes))
    return 0


# ---- engine-outcomes ----

def engine_outcomes(path):
    """Per event step of `pv_scenario -v`: the line after "step N (line L): event" is either
    "  rejected: CODE (...)" or the record the event journaled."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    for i, l in enumerate(lines):
        m = re.match(r'^step (\d+) \(line \d+\): event$', l)
        if not m:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ''
        r = re.match(r'^  rejected: (\S+) ', nxt)
        print('%s %s' % (m.group(1), 'rejected ' + r.group(1) if r else 'accepted'))
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == 'prepare':
        return prepare(argv[2], argv[3], argv[4])
    if len(argv) == 7 and argv[1] == 'play':
        return play(argv[2], argv[3], argv[4], int(argv[5]), argv[6])
    if len(argv) == 3 and argv[1] == 'engine-outcomes':
        return engine_outcomes(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
