#!/usr/bin/env python3
"""The insider, for tests/audit/tamper.sh: rewrites an honest audit archive with one tampering,
re-sealing everything the insider can re-seal so that only the chains (or the root digest kept
apart) can tell. Standard library + msgpack; frames are read with scripts/verify_archive.py.

    tamper.py IN OUT HOW

HOW (docs/AUDIT.md, "What an insider may try"):
  amount        change an amount in a record's data, nothing else re-sealed but the archive's
                members (DIGEST, root): rule 2, hash != SHA-256(body)
  amount-naive  the same edit, DIGEST left alone: the member digest no longer matches
  delete        remove one record from the middle of a partition
  delete-case   remove every record of one case
  swap          swap two neighbouring records of different cases (offsets stay in order)
  forge         append a forged record to a case, with its hash, case chain and partition chain
                all computed correctly; MANIFEST, INDEX and DIGEST updated: internally perfect
  reseal        replace a record in the middle and recompute its own hash and phash
  truncate      remove the newest record of a partition, heads updated: internally perfect
  index         point a case's INDEX.jsonl line at other offsets (records untouched)
MANIFEST.json, INDEX.jsonl and DIGEST are always recomputed (except amount-naive), so every
member digest matches: the tampering shows only in the chains, or against the root kept apart.
Prints what it did on one line.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
import msgpack  # noqa: E402
import verify_archive as va  # noqa: E402


def be(v, n):
    return (v % (1 << (8 * n))).to_bytes(n, "big")


def blob(b):
    return be(va.NULL_LEN, 4) if b is None else be(len(b), 4) + b


def record_frame(r):
    f = b"R" + be(r["offset"], 8) + be(r["timestamp"], 8) + blob(r["key"]) + be(len(r["headers"]), 2)
    for name, value in r["headers"]:
        f += be(len(name), 2) + name + blob(value)
    return f + blob(r["value"])


def stub_frame(s):
    return b"S" + be(s["offset"], 8) + be(s["pseq"], 8) + s["hash"] + s["pprev"] + s["phash"]


def read(path):
    """Returns (members {name: bytes} in order, partitions {p: [(kind, dict)]})."""
    members, parts = {}, {}
    with tarfile.open(path, "r:") as tar:
        for m in tar:
            members[m.name] = tar.extractfile(m).read()
    for name, data in members.items():
        p = va.partition_of(name)
        if p is not None:
            problems = []
            parts[p] = list(va.frames(data, name, problems))
            assert not problems, problems
    return members, parts


def wire(r):
    return msgpack.unpackb(r["value"], raw=False, strict_map_key=False)


def body(r):
    return msgpack.unpackb(wire(r)[0], raw=False, strict_map_key=False)


def seal(b, pprev, pseq):
    """Wire bytes for body list b, correctly hashed and linked."""
    raw = msgpack.packb(b, use_bin_type=True)
    h = hashlib.sha256(raw).digest()
    ph = va.link(pprev, h, pseq)
    return msgpack.packb([raw, h, pseq, pprev, ph], use_bin_type=True), h, ph


def records(frames):
    return [i for i, (k, _) in enumerate(frames) if k == "R"]


def middle_record(frames, after=None):
    """Index of a record in the middle of the partition (with a later record of its case)."""
    idx = records(frames)
    for i in idx[len(idx) // 3:]:
        case = body(frames[i][1])[1]
        if any(body(frames[j][1])[1] == case for j in idx if j > i):
            if after is None or after(frames[i][1]):
                return i
    raise SystemExit("tamper.py: no record with a successor in its case")


def edit_amount(r):
    w = wire(r)
    raw = w[0]
    for old, new in ((b"4850", b"9850"), (b"Put up", b"PUT UP")):
        if old in raw:
            w[0] = raw.replace(old, new, 1)
            r["value"] = msgpack.packb(w, use_bin_type=True)
            return old.decode()
    raise SystemExit("tamper.py: no amount to change")


def t_amount(parts):
    frames = parts[min(parts)]
    i = middle_record(frames, lambda r: b"4850" in wire(r)[0] or b"Put up" in wire(r)[0])
    return "changed '%s' in %s" % (edit_amount(frames[i][1]), body(frames[i][1])[1])


def t_delete(parts):
    frames = parts[min(parts)]
    i = middle_record(frames)
    r = frames.pop(i)[1]
    return "deleted offset %d (case %s)" % (r["offset"], body(r)[1])


def t_delete_case(parts):
    frames = parts[min(parts)]
    case = body(frames[middle_record(frames)][1])[1]
    parts[min(parts)] = [f for f in frames if f[0] != "R" or body(f[1])[1] != case]
    return "deleted case %s (%d records)" % (case, len(frames) - len(parts[min(parts)]))


def t_swap(parts):
    frames = parts[min(parts)]
    idx = records(frames)
    for a, b in zip(idx[len(idx) // 3:], idx[len(idx) // 3 + 1:]):
        if body(frames[a][1])[1] != body(frames[b][1])[1]:
            ra, rb = frames[a][1], frames[b][1]
            ra["offset"], rb["offset"] = rb["offset"], ra["offset"]
            frames[a], frames[b] = frames[b], frames[a]
            return "swapped offsets %d and %d" % (ra["offset"], rb["offset"])
    raise SystemExit("tamper.py: nothing to swap")


def t_forge(parts):
    p = min(parts)
    frames = parts[p]
    last = frames[-1][1]
    lw = wire(last)
    prev = frames[records(frames)[-1]][1]      # the case of the partition's newest record
    b = body(prev)
    pw = wire(prev)
    b[2] += 1                                  # seq
    b[6] = "forged-%d" % b[2]                  # event_id
    b[14], b[15] = b[15], "closed"             # prev_state, new_state
    b[7] = b[3] + ".close"                     # event_type
    b[22] = pw[1]                              # prev_hash = the case's last hash
    value, h, ph = seal(b, lw[4], lw[2] + 1)   # pprev = head phash, pseq = head + 1
    frames.append(("R", {"offset": last["offset"] + 1, "timestamp": last["timestamp"],
                         "key": b[1].encode(), "headers": [], "value": value}))
    return "appended a forged close of %s at pseq %d" % (b[1], lw[2] + 1)


def t_reseal(parts):
    frames = parts[min(parts)]
    i = middle_record(frames, lambda r: b"4850" in wire(r)[0] or b"Put up" in wire(r)[0])
    r = frames[i][1]
    what = edit_amount(r)
    w = wire(r)
    value, _, _ = seal(msgpack.unpackb(w[0], raw=False, strict_map_key=False), w[3], w[2])
    r["value"] = value
    return "replaced offset %d (changed '%s') and re-sealed its hash and phash" % (r["offset"], what)


def t_truncate(parts):
    frames = parts[min(parts)]
    r = frames.pop()[1]
    return "removed the newest record, offset %d" % r["offset"]


def manifest_and_index(members, parts):
    m = json.loads(members["MANIFEST.json"])
    index = {}
    for entry in m["partitions"]:
        frames = parts[entry["partition"]]
        recs = [f for k, f in frames if k == "R"]
        cases = set()
        for r in recs:
            case = body(r)[1]
            cases.add(case)
            index.setdefault(case, [entry["partition"], []])[1].append(r["offset"])
        last = frames[-1][1] if frames else None
        head = (wire(last)[2], wire(last)[4]) if last and frames[-1][0] == "R" else \
            ((last["pseq"], last["phash"]) if last else (0, va.ZERO))
        entry.update(records=len(frames), included=len(recs), stubs=len(frames) - len(recs),
                     cases=len(cases), head={"pseq": head[0], "phash": head[1].hex()},
                     first_offset=frames[0][1]["offset"] if frames else -1,
                     last_offset=frames[-1][1]["offset"] if frames else -1)
    m["totals"] = {k: sum(e[k] for e in m["partitions"]) for k in ("records", "included", "stubs")}
    m["totals"]["cases"] = len(index)
    lines = [json.dumps({"case": c, "partition": index[c][0], "records": len(index[c][1]),
                         "offsets": index[c][1]}, separators=(",", ":")) for c in sorted(index)]
    members["MANIFEST.json"] = json.dumps(m, indent=2).encode()
    members["INDEX.jsonl"] = "".join(l + "\n" for l in lines).encode()
    return m


def t_index(parts):
    return "moved a case's index line to other offsets"


def mislead_index(members):
    lines = members["INDEX.jsonl"].decode().splitlines()
    e = json.loads(lines[0])
    e["offsets"] = [o + 1 for o in e["offsets"]]
    lines[0] = json.dumps(e, separators=(",", ":"))
    members["INDEX.jsonl"] = ("\n".join(lines) + "\n").encode()


def write(path, members, parts, naive, how):
    for p, frames in parts.items():
        data = b"".join(be(len(f), 4) + f for f in
                        (record_frame(d) if k == "R" else stub_frame(d) for k, d in frames))
        members["partitions/%05d.rec" % p] = data
    if not naive:
        m = manifest_and_index(members, parts)
        if how == "index":
            mislead_index(members)
        text = va.DIGEST_MAGIC.decode()
        for e in m["partitions"]:
            text += "head %d %d %s\n" % (e["partition"], e["head"]["pseq"], e["head"]["phash"])
        for name, data in members.items():
            if name != "DIGEST":
                text += "sha256 %s %s\n" % (hashlib.sha256(data).hexdigest(), name)
        text += "root %s\n" % hashlib.sha256(text.encode()).hexdigest()
        members["DIGEST"] = text.encode()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o444
            tar.addfile(info, io.BytesIO(data))


HOW = {"amount": t_amount, "amount-naive": t_amount, "delete": t_delete,
       "delete-case": t_delete_case, "swap": t_swap, "forge": t_forge, "reseal": t_reseal,
       "truncate": t_truncate, "index": t_index}


def main(argv):
    if len(argv) != 3 or argv[2] not in HOW:
        sys.stderr.write(__doc__)
        return 2
    members, parts = read(argv[0])
    what = HOW[argv[2]](parts)
    write(argv[1], members, parts, argv[2] == "amount-naive", argv[2])
    print("%s: %s" % (argv[2], what))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
