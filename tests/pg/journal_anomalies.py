#!/usr/bin/env python3
"""Crafts journal anomalies for tests/pg/project_anomalies.sh: real, sealed journal records
(docs/JOURNAL.md) appended after an honest journal, as a writer gone wrong or an insider would
append them. Standard library + msgpack; the honest journal is read from an audit archive with
scripts/verify_archive.py.

    journal_anomalies.py ARCHIVE OUTDIR

Every anomaly goes to ONE partition P (the one with the most records), so that the projector
consumes them in exactly the order written, and batches of any size cut them at known places.
Writes:
  OUTDIR/NN.bin     one Kafka message value per file
  OUTDIR/plan       one line per message, in the order to publish: WAVE KEY FILE LABEL
  OUTDIR/expect.sh  shell assignments: P, the cases used, the records expected per wave, the
                    hashes and times the test checks (hex without \\x)

Waves (the test projects each wave before publishing the next):
  1  the anomalies whose projection does not depend on how records are batched:
     dup_last   an exact copy of the partition's last record, right after it (no finding)
     gap        case A: seq head+2, its seq head+1 missing (case_chain: follows)
     timer      case B: an sla.breached record (alert opened) ...
     close      ... then an event changing B's state (closes it, and B's older open alerts)
     fork_head  case C: a different record for C's head seq (fork, already applied)
     fork_old   case C2: a different record for seq head-1 (fork, looked up in transitions)
     twice      case D: a new record ... and the same message again (duplicate delivery)
     case_break case E: a new record whose prev_hash is wrong, re-sealed (case_chain)
     bad_seal   case K: hash is not SHA-256(body): projection_errors, not in the chains
     part_break case F: a new record whose pprev is not the partition's head, re-sealed
                (partition_chain); the chain continues from it
     bad_key    case G: a sealed record under a Kafka key that is not its case_id:
                projection_errors, not in the chains
     key_ok     the same record under the right key: applied
  2  late       case A: the missing seq head+1 (kept in transitions, changes nothing; case_chain)
  3  the patterns that once depended on batching (compared one batch against one by one):
     ooo_2, ooo_1  case J: seq head+2 then seq head+1, adjacent
     win_a, win_b  case H: a new record, then a different one with the same (case_id, seq)
     dup_old    an exact copy of an older record of the partition (partition_chain)
     after_dup  case H: its next record, continuing the partition from its head, not from
                dup_old: no finding, wherever the batches fall
"""
import hashlib
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
import msgpack  # noqa: E402
import verify_archive as va  # noqa: E402

F = {name: i for i, (name, _) in enumerate(va.BODY)}  # body element indexes by name
MINUTE = 60 * 1000


def read_partitions(path):
    """{partition: [(wire dict, body list, value bytes, key bytes)]} in offset order."""
    parts = {}
    with tarfile.open(path, "r:") as tar:
        for m in tar:
            p = va.partition_of(m.name)
            if p is None:
                continue
            problems = []
            recs = []
            for kind, r in va.frames(tar.extractfile(m).read(), m.name, problems):
                if kind != "R":
                    raise SystemExit("journal_anomalies.py: %s: a chain stub, expected a full "
                                     "export" % m.name)
                w, _ = va.decode(r["value"])
                body = msgpack.unpackb(w["body"], raw=False, strict_map_key=False)
                recs.append((w, body, r["value"], r["key"]))
            if problems:
                raise SystemExit("journal_anomalies.py: %s: %s" % (m.name, problems))
            parts[p] = recs
    return parts


def pack_body(b):
    return msgpack.packb(b, use_bin_type=True)


class Writer:
    """Appends messages to partition P, keeping its chain head as the projector will see it."""

    def __init__(self, outdir, head_pseq, head_phash):
        self.outdir = outdir
        self.pseq, self.phash = head_pseq, head_phash
        self.plan = []
        self.wave = 1

    def put(self, key, value, label):
        name = "%02d.bin" % (len(self.plan) + 1)
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(value)
        self.plan.append("%d %s %s %s" % (self.wave, key, name, label))

    def seal(self, body, pprev=None):
        """Wire bytes continuing the partition (or after pprev), and the new (hash, phash)."""
        raw = pack_body(body)
        h = hashlib.sha256(raw).digest()
        pprev = self.phash if pprev is None else pprev
        pseq = self.pseq + 1
        ph = va.link(pprev, h, pseq)
        return msgpack.packb([raw, h, pseq, pprev, ph], use_bin_type=True), h, pseq, ph

    def append(self, body, label, pprev=None, key=None):
        """A sealed record at the partition's next pseq; returns its hash."""
        value, h, pseq, ph = self.seal(body, pprev)
        self.put(key or body[F["case_id"]], value, label)
        if key is None:  # a record under a wrong key is refused: the head stays
            self.pseq, self.phash = pseq, ph
        return h


def pick_cases(recs, n):
    """n cases of the partition, not hrms (officers are keyed by officer id), with at least two
    records; a case whose newest record is a timer first (it has an open alert), then the case
    types in turn, each in case id order."""
    heads, counts = {}, {}
    for w, b, _, _ in recs:
        c = b[F["case_id"]]
        heads[c] = (w, b)
        counts[c] = counts.get(c, 0) + 1
    ok = sorted(c for c in heads if counts[c] >= 2 and heads[c][1][F["case_type"]] != "hrms")
    timers = [c for c in ok if heads[c][1][F["kind"]] != "event"]
    by_type = {}
    for c in ok:
        if c not in timers[:1]:
            by_type.setdefault(heads[c][1][F["case_type"]], []).append(c)
    ordered = timers[:1]  # then one case of each type in turn, for every domain's tables
    while any(by_type.values()):
        ordered += [by_type[t].pop(0) for t in sorted(by_type) if by_type[t]]
    if len(ordered) < n:
        raise SystemExit("journal_anomalies.py: only %d usable cases in the partition" % len(ordered))
    return ordered[:n], heads


class Crafter:
    def __init__(self, recs, w):
        self.w = w
        self.by_seq = {}
        for wire, b, _, _ in recs:
            self.by_seq[(b[F["case_id"]], b[F["seq"]])] = (wire, b)
        self.clock = max(b[F["accepted_at"]] for _, b, _, _ in recs) + MINUTE

    def tick(self):
        self.clock += MINUTE
        return self.clock

    def next_event(self, head_wire, head_body, label, seq=None, prev_hash=None, new_state=None,
                   amount=None):
        """A new event record after head (seq head+1 unless given)."""
        b = list(head_body)
        b[F["seq"]] = seq or head_body[F["seq"]] + 1
        b[F["kind"]] = "event"
        b[F["event_id"]] = "anomaly-%s-%s-%d" % (label, b[F["case_id"]], b[F["seq"]])
        b[F["event_type"]] = "%s.anomaly_note" % b[F["case_type"]]
        b[F["source"]] = "/test/anomalies"
        b[F["actor"]], b[F["actor_post"]], b[F["actor_role"]] = "TEST-ACTOR", "", "citizen"
        b[F["event_time"]] = ""
        b[F["accepted_at"]] = self.tick()
        b[F["prev_state"]] = head_body[F["new_state"]]
        b[F["new_state"]] = new_state or head_body[F["new_state"]]
        b[F["alert_level"]], b[F["alert_target"]] = 0, ""
        data = {"note": label}
        if amount is not None:
            data["amount"] = amount
        b[F["data"]] = data
        b[F["prev_hash"]] = prev_hash if prev_hash is not None else head_wire["hash"]
        return b

    def timer(self, head_wire, head_body):
        b = list(head_body)
        b[F["seq"]] = head_body[F["seq"]] + 1
        case = b[F["case_id"]]
        b[F["kind"]] = b[F["event_type"]] = "sla.breached"
        b[F["event_id"]] = "%s#%d" % (case, b[F["seq"]])
        b[F["source"]] = "pravah"
        b[F["actor"]] = b[F["actor_post"]] = b[F["actor_role"]] = b[F["event_time"]] = ""
        b[F["accepted_at"]] = self.tick()
        b[F["prev_state"]] = head_body[F["new_state"]]
        b[F["alert_level"]], b[F["alert_target"]] = 1, head_body[F["assignee"]] or "TEST-POST"
        b[F["data"]] = {}
        b[F["prev_hash"]] = head_wire["hash"]
        return b

    def fork_of(self, case, seq, label):
        """A different record for (case, seq): same place in the case chain, other content."""
        wire, body = self.by_seq[(case, seq)]
        b = list(body)
        b[F["event_id"]] = "fork-%s-%s-%d" % (label, case, seq)
        b[F["accepted_at"]] = self.tick()
        b[F["data"]] = {"note": "forked " + label}
        return b


def craft(parts, outdir):
    p = max(parts, key=lambda k: (len(parts[k]), -k))
    recs = parts[p]
    last_w, _, last_value, last_key = recs[-1]
    w = Writer(outdir, last_w["pseq"], last_w["phash"])
    cx = Crafter(recs, w)
    names = ["B", "A", "C", "C2", "D", "E", "K", "F", "G", "J", "H"]
    cases, heads = pick_cases(recs, len(names))
    case = dict(zip(names, cases))
    hw = {n: heads[case[n]][0] for n in names}
    hb = {n: heads[case[n]][1] for n in names}
    seq = {n: hb[n][F["seq"]] for n in names}
    ex = {"P": p, "BASE_HEAD_PSEQ": last_w["pseq"]}
    for n in names:
        ex["CASE_" + n] = case[n]
        ex["SEQ_" + n] = seq[n]

    # ---- wave 1 ----
    w.put(last_key.decode(), last_value, "dup_last")
    a1 = cx.next_event(hw["A"], hb["A"], "late", amount=222)  # written now, published in wave 2
    a1_hash = hashlib.sha256(pack_body(a1)).digest()
    a2 = cx.next_event({"hash": a1_hash}, a1, "gap", amount=111)
    w.append(a2, "gap")
    t = cx.timer(hw["B"], hb["B"])
    t_hash = w.append(t, "timer")
    close = cx.next_event({"hash": t_hash}, t, "close", new_state="anomaly_returned")
    w.append(close, "close")
    ex["TIMER_AT_MS"], ex["CLOSE_AT_MS"] = t[F["accepted_at"]], close[F["accepted_at"]]
    ex["CLOSE_STATE"] = "anomaly_returned"
    fh = cx.fork_of(case["C"], seq["C"], "head")
    ex["FORK_HEAD_HASH"] = w.append(fh, "fork_head").hex()
    ex["FORK_HEAD_OLD_HASH"] = hw["C"]["hash"].hex()
    fo = cx.fork_of(case["C2"], seq["C2"] - 1, "old")
    ex["FORK_OLD_HASH"] = w.append(fo, "fork_old").hex()
    ex["FORK_OLD_OLD_HASH"] = cx.by_seq[(case["C2"], seq["C2"] - 1)][0]["hash"].hex()
    d = cx.next_event(hw["D"], hb["D"], "twice")
    value, h, pseq, ph = w.seal(d)
    w.put(case["D"], value, "twice")
    w.pseq, w.phash = pseq, ph
    w.put(case["D"], value, "twice_again")
    e = cx.next_event(hw["E"], hb["E"], "case_break",
                      prev_hash=hashlib.sha256(b"not the previous record of the case").digest())
    w.append(e, "case_break")
    k = cx.next_event(hw["K"], hb["K"], "bad_seal")
    value, h, pseq, ph = w.seal(k)
    wire = msgpack.unpackb(value, raw=False)
    wire[0] = wire[0].replace(b"bad_seal", b"BAD_SEAL")  # body edited after sealing
    w.put(case["K"], msgpack.packb(wire, use_bin_type=True), "bad_seal")
    f = cx.next_event(hw["F"], hb["F"], "part_break")
    w.append(f, "part_break", pprev=hashlib.sha256(b"not the head of the partition").digest())
    ex["PART_BREAK_PSEQ"] = w.pseq
    g = cx.next_event(hw["G"], hb["G"], "key")
    w.append(g, "bad_key", key=case["G"] + "-WRONG")
    w.append(g, "key_ok")
    ex["WAVE1_MSGS"] = len(w.plan)
    ex["WAVE1_HEAD_PSEQ"], ex["WAVE1_HEAD_PHASH"] = w.pseq, w.phash.hex()

    # ---- wave 2 ----
    w.wave = 2
    w.append(a1, "late")
    ex["WAVE2_MSGS"] = len(w.plan) - ex["WAVE1_MSGS"]
    ex["WAVE2_HEAD_PSEQ"], ex["WAVE2_HEAD_PHASH"] = w.pseq, w.phash.hex()

    # ---- wave 3 ----
    w.wave = 3
    j1 = cx.next_event(hw["J"], hb["J"], "ooo", amount=333)
    j1_hash = hashlib.sha256(pack_body(j1)).digest()
    j2 = cx.next_event({"hash": j1_hash}, j1, "ooo", new_state="anomaly_second", amount=444)
    w.append(j2, "ooo_2")
    w.append(j1, "ooo_1")
    wa = cx.next_event(hw["H"], hb["H"], "window")
    ex["WIN_A_HASH"] = w.append(wa, "win_a").hex()
    wb = list(wa)
    wb[F["event_id"]] += "-other"
    wb[F["data"]] = {"note": "the other record of the window"}
    ex["WIN_B_HASH"] = w.append(wb, "win_b").hex()
    old_w, old_b, old_value, old_key = recs[len(recs) // 2]
    w.put(old_key.decode(), old_value, "dup_old")
    ex["DUP_OLD_PSEQ"] = old_w["pseq"]
    ex["DUP_OLD_CASE"], ex["DUP_OLD_SEQ"] = old_b[F["case_id"]], old_b[F["seq"]]
    ex["DUP_OLD_HEAD_PSEQ"] = w.pseq
    after = cx.next_event({"hash": bytes.fromhex(ex["WIN_A_HASH"])}, wa, "after_dup")
    w.append(after, "after_dup")
    ex["WAVE3_MSGS"] = len(w.plan) - ex["WAVE1_MSGS"] - ex["WAVE2_MSGS"]
    ex["FINAL_HEAD_PSEQ"], ex["FINAL_HEAD_PHASH"] = w.pseq, w.phash.hex()
    return w.plan, ex


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    plan, ex = craft(read_partitions(argv[0]), argv[1])
    with open(os.path.join(argv[1], "plan"), "w") as f:
        f.write("".join(line + "\n" for line in plan))
    with open(os.path.join(argv[1], "expect.sh"), "w") as f:
        for k, v in ex.items():
            f.write("%s='%s'\n" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
