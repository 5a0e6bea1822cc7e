#!/usr/bin/env python3
"""Independent verifier of a Pravah audit archive, written from docs/AUDIT.md and docs/JOURNAL.md
alone (Python standard library + msgpack, Debian python3-msgpack; it shares no code with Pravah).

    verify_archive.py ARCHIVE [--digest HEX] [--partition N] [--quiet]

Checks, as `pravah audit verify --archive` does: the archive's layout; every member against the
SHA-256 in DIGEST and DIGEST's root line; every record's layout and both hash formulas; every
partition's chain (pseq from 1 by 1, pprev = previous phash; an exact copy of the previous record
is a duplicate delivery, skipped), including the chain stubs of filtered exports; every case's
chain (seq from 1 by 1, prev_hash = previous hash of the case; a case may resume after records
the export left out only if its prev_hash is the hash of one of those stubs); forks; events
journaled twice; the Kafka key; each partition's end against the head in DIGEST; MANIFEST.json
and INDEX.jsonl against the records. With --digest, the root digest against the one kept apart
at export time: what catches an archive rewritten and re-sealed from end to end.

It does not check the workflow rules (that needs Pravah's definitions): `pravah audit verify`
does. Prints each finding, the root digest and a summary; exits 0 (no finding), 1 (findings) or
2 (usage, unreadable file).
"""
import hashlib
import json
import sys
import tarfile

try:
    import msgpack
except ImportError:  # pragma: no cover
    sys.stderr.write("verify_archive.py: needs the msgpack module (Debian: python3-msgpack)\n")
    sys.exit(2)

FORMAT = 1
ZERO = bytes(32)
KINDS = {"event", "sla.reminder", "sla.breached", "sla.escalated"}
BODY = [  # docs/JOURNAL.md, section 3
    ("format", "uint"), ("case_id", "str"), ("seq", "uint"), ("case_type", "str"),
    ("def_version", "uint"), ("kind", "str"), ("event_id", "str"), ("event_type", "str"),
    ("source", "str"), ("actor", "str"), ("actor_post", "str"), ("actor_role", "str"),
    ("event_time", "str"), ("accepted_at", "int"), ("prev_state", "str"), ("new_state", "str"),
    ("assignee", "str"), ("deadline", "int"), ("alert_level", "uint"), ("alert_target", "str"),
    ("data", "map"), ("office", "str"), ("prev_hash", "bin32"),
]
WIRE = [("body", "bin"), ("hash", "bin32"), ("pseq", "uint"), ("pprev", "bin32"),
        ("phash", "bin32")]
U32 = {"format", "def_version", "alert_level"}
NULL_LEN = 0xFFFFFFFF
DIGEST_MAGIC = b"pravah-archive-digest 1\n"
STUB_LEN = 1 + 8 + 8 + 3 * 32


class Bad(Exception):
    pass


# ---- records (docs/JOURNAL.md) ----

def unpack(raw, what):
    try:
        return msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=True)
    except msgpack.ExtraData:
        raise Bad("%s: trailing bytes" % what)
    except Exception as e:  # OutOfData, FormatError, UnicodeDecodeError, ...
        raise Bad("%s: not msgpack (%s)" % (what, e.__class__.__name__))


def check_type(value, kind, where):
    ok = {
        "uint": lambda v: type(v) is int and 0 <= v < 2**64,
        "int": lambda v: type(v) is int and -2**63 <= v < 2**63,
        "str": lambda v: type(v) is str and "\0" not in v,
        "bin": lambda v: type(v) is bytes,
        "bin32": lambda v: type(v) is bytes and len(v) == 32,
        "map": lambda v: type(v) is dict,
    }[kind](value)
    if not ok:
        raise Bad("%s: expected %s, got %s" % (where, kind, type(value).__name__))


def decode(raw):
    """Returns (wire dict, body dict) after checking the layout of one record."""
    wire = unpack(raw, "wire")
    if type(wire) is not list or len(wire) != len(WIRE):
        raise Bad("wire: expected an array of %d elements" % len(WIRE))
    for i, (name, kind) in enumerate(WIRE):
        check_type(wire[i], kind, "wire[%d] %s" % (i, name))
    w = dict(zip((n for n, _ in WIRE), wire))
    body = unpack(w["body"], "body")
    if type(body) is not list or len(body) != len(BODY):
        raise Bad("body: expected an array of %d elements" % len(BODY))
    for i, (name, kind) in enumerate(BODY):
        check_type(body[i], kind, "body[%d] %s" % (i, name))
        if name in U32 and body[i] > 2**32 - 1:
            raise Bad("body[%d] %s: out of range" % (i, name))
    b = dict(zip((n for n, _ in BODY), body))
    if b["format"] != FORMAT:
        raise Bad("body[0] format: %d, this verifier reads %d" % (b["format"], FORMAT))
    if b["kind"] not in KINDS:
        raise Bad("body[5] kind: unknown kind %r" % b["kind"])
    if not b["case_id"]:
        raise Bad("body[1] case_id: empty")
    return w, b


def link(pprev, h, pseq):
    return hashlib.sha256(pprev + h + pseq.to_bytes(8, "big")).digest()


# ---- frames (docs/AUDIT.md, "Partition members") ----

def be(data, off, n):
    if off + n > len(data):
        raise Bad("frame too short")
    return int.from_bytes(data[off:off + n], "big")


def blob(data, off, null_ok=True):
    n = be(data, off, 4)
    off += 4
    if n == NULL_LEN and null_ok:
        return None, off
    if off + n > len(data):
        raise Bad("frame too short")
    return data[off:off + n], off + n


def parse_record_frame(f):
    """'R' frame (without its length) -> dict offset, timestamp, key, headers, value."""
    off = 1
    offset, ts = be(f, off, 8), be(f, off + 8, 8)
    key, off = blob(f, off + 16)
    nh = be(f, off, 2)
    off += 2
    headers = []
    for _ in range(nh):
        kl = be(f, off, 2)
        name = f[off + 2:off + 2 + kl]
        value, off = blob(f, off + 2 + kl)
        headers.append((name, value))
    value, off = blob(f, off)
    if off != len(f):
        raise Bad("value length does not match the frame")
    signed = lambda v: v - 2**64 if v >= 2**63 else v
    return {"offset": signed(offset), "timestamp": signed(ts), "key": key, "headers": headers,
            "value": value}


def frames(data, name, problems):
    """Yields ('R', dict) and ('S', dict) for the frames of a partition member."""
    off, i = 0, 0
    while off < len(data):
        i += 1
        try:
            if len(data) - off < 4:
                raise Bad("ends inside a frame length")
            n = be(data, off, 4)
            f = data[off + 4:off + 4 + n]
            if len(f) < n:
                raise Bad("ends inside a frame (%d bytes left over)" % (len(data) - off))
            if n == STUB_LEN and f[0:1] == b"S":
                yield "S", {"offset": be(f, 1, 8), "pseq": be(f, 9, 8), "hash": f[17:49],
                            "pprev": f[49:81], "phash": f[81:113]}
            elif n and f[0:1] == b"R":
                yield "R", parse_record_frame(f)
            else:
                raise Bad("unknown frame type")
        except Bad as e:
            problems.append("%s: frame %d at byte %d: %s" % (name, i, off, e))
            return
        off += 4 + n


# ---- the verifier ----

class Verifier:
    def __init__(self):
        self.findings = []
        self.records = self.events = self.timers = self.stubs = self.duplicates = 0
        self.cases = {}          # case_id -> (seq, hash)
        self.stub_hashes = set()
        self.event_keys = set()  # (case, event_id) of the event records
        self.ends = {}           # partition -> (pseq, phash)
        self.index = {}          # case -> [partition, [offsets]] as the writer indexes
        self.chain = (0, ZERO)

    def finding(self, part, offset, case, why):
        self.findings.append("FINDING partition %d offset %d case %s: %s"
                             % (part, offset, case if case else "?", why))

    def partition_link(self, part, offset, case, pseq, pprev, phash):
        """Rule 4; True when the record is a duplicate delivery (skip it)."""
        if pseq == self.chain[0] and phash == self.chain[1]:
            self.duplicates += 1
            return True
        if pseq != self.chain[0] + 1 or pprev != self.chain[1]:
            self.finding(part, offset, case, "partition chain broken: a record before it was "
                         "removed, inserted or reordered")
        self.chain = (pseq, phash)
        return False

    def case_link(self, part, offset, w, b):
        case = b["case_id"]
        seq, h = self.cases.setdefault(case, (0, ZERO))
        if b["seq"] <= seq:
            same = b["seq"] == seq and w["hash"] == h
            self.finding(part, offset, case, "duplicate record (same case, sequence and hash)"
                         if same else "fork or reorder: sequence number already seen with a "
                         "different record")
            return
        if b["seq"] != seq + 1 and b["prev_hash"] not in self.stub_hashes:
            self.finding(part, offset, case, "sequence jumps from %d to %d: records missing"
                         % (seq, b["seq"]))
        elif b["seq"] == seq + 1 and b["prev_hash"] != h:
            self.finding(part, offset, case,
                         "prev_hash is not the hash of the case's previous record")
        self.cases[case] = (b["seq"], w["hash"])

    def record(self, part, r):
        self.records += 1
        off = r["offset"]
        try:
            w, b = decode(r["value"] or b"")
        except Bad as e:
            self.finding(part, off, None, str(e))
            return
        entry = self.index.setdefault(b["case_id"], [part, []])
        entry[1].append(off)
        case = b["case_id"]
        if r["key"] != case.encode():
            self.finding(part, off, case, "the Kafka key is not the record's case id")
        if hashlib.sha256(w["body"]).digest() != w["hash"]:
            self.finding(part, off, case, "hash != SHA-256(body): the record was edited")
        if link(w["pprev"], w["hash"], w["pseq"]) != w["phash"]:
            self.finding(part, off, case, "phash != SHA-256(pprev || hash || uint64_be(pseq))")
        if self.partition_link(part, off, case, w["pseq"], w["pprev"], w["phash"]):
            return
        self.case_link(part, off, w, b)
        if b["kind"] == "event":
            self.events += 1
            k = (case, b["event_id"])
            if k in self.event_keys:
                self.finding(part, off, case, "event %s applied twice (journaled before for "
                             "this case)" % b["event_id"])
            self.event_keys.add(k)
        else:
            self.timers += 1

    def stub(self, part, s):
        self.stubs += 1
        if link(s["pprev"], s["hash"], s["pseq"]) != s["phash"]:
            self.finding(part, s["offset"], None,
                         "chain stub: phash != SHA-256(pprev || hash || uint64_be(pseq))")
        if not self.partition_link(part, s["offset"], None, s["pseq"], s["pprev"], s["phash"]):
            self.stub_hashes.add(s["hash"])

    def partition(self, part, data, name, problems):
        self.chain = (0, ZERO)
        for kind, f in frames(data, name, problems):
            if kind == "R":
                self.record(part, f)
            else:
                self.stub(part, f)
        self.ends[part] = self.chain


# ---- the archive's own members ----

def parse_digest(text, problems):
    """Returns (heads {partition: (pseq, phash)}, members {name: hex}, root hex or None)."""
    if not text.startswith(DIGEST_MAGIC) or b"\nroot " not in text:
        problems.append("DIGEST: not a pravah archive digest")
        return {}, {}, None
    cut = text.index(b"\nroot ") + 1
    root = hashlib.sha256(text[:cut]).hexdigest()
    if text[cut + 5:cut + 5 + 64].decode("ascii", "replace") != root:
        problems.append("DIGEST: its root line is not the SHA-256 of the lines before it")
    heads, members = {}, {}
    for line in text[len(DIGEST_MAGIC):cut].decode("utf-8", "replace").splitlines():
        parts = line.split(" ", 2)
        try:
            if parts[0] == "head":
                p, pseq, ph = line.split(" ")[1:4]
                heads[int(p)] = (int(pseq), bytes.fromhex(ph))
            elif parts[0] == "sha256":
                members[parts[2]] = parts[1]
            else:
                raise ValueError
        except (ValueError, IndexError):
            problems.append("DIGEST: cannot read line %r" % line[:80])
    return heads, members, root


def partition_of(name):
    if name.startswith("partitions/") and name.endswith(".rec"):
        num = name[len("partitions/"):-len(".rec")]
        if num.isdigit():
            return int(num)
    return None


def check_manifest(manifest, heads, v, problems):
    if not isinstance(manifest, dict) or manifest.get("format") != "pravah-audit-archive":
        problems.append("MANIFEST.json: not a pravah archive manifest")
        return
    for p in manifest.get("partitions", []):
        part, head = p.get("partition"), p.get("head", {})
        if part in heads and (head.get("pseq"), head.get("phash")) != \
                (heads[part][0], heads[part][1].hex()):
            problems.append("MANIFEST.json: partition %s head differs from DIGEST" % part)
        if part in v.ends and p.get("stubs", 0) + p.get("included", 0) != p.get("records"):
            problems.append("MANIFEST.json: partition %s counts do not add up" % part)


def check_index(text, v, problems):
    seen = {}
    for n, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
        try:
            e = json.loads(line)
            seen[e["case"]] = [e["partition"], e["offsets"]]
            if e["records"] != len(e["offsets"]):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            problems.append("INDEX.jsonl: line %d is not an index entry" % n)
    for case, entry in sorted(v.index.items()):
        if case not in seen:
            problems.append("INDEX.jsonl: case %s: has records but no line in the index" % case)
        elif seen[case] != entry:
            problems.append("INDEX.jsonl: case %s: its partition or offsets differ from the "
                            "records (index %s, records %s)" % (case, seen[case], entry))
    for case in sorted(seen.keys() - v.index.keys()):
        problems.append("INDEX.jsonl: case %s: indexed, but the archive has no record of it"
                        % case)


def verify(path, want_partition, digest):
    v, problems = Verifier(), []
    got, texts, order = {}, {}, []
    with tarfile.open(path, "r:") as tar:
        for m in tar:
            if order and order[-1] == "DIGEST":
                problems.append("member %s follows DIGEST, which must be the last member" % m.name)
            order.append(m.name)
            data = tar.extractfile(m).read() if m.isfile() else b""
            part = partition_of(m.name)
            if m.name == "DIGEST":
                texts["DIGEST"] = data
                continue
            got[m.name] = hashlib.sha256(data).hexdigest()
            if m.name in ("MANIFEST.json", "INDEX.jsonl"):
                texts[m.name] = data
            elif part is None:
                problems.append("member %s: not a member of a pravah archive" % m.name)
            elif want_partition is None or part == want_partition:
                v.partition(part, data, m.name, problems)
    if "DIGEST" not in texts:
        problems.append("no DIGEST member: the archive is incomplete or was cut short")
    heads, listed, root = parse_digest(texts.get("DIGEST", b""), problems) \
        if "DIGEST" in texts else ({}, {}, None)
    for name, hexd in got.items():
        if name not in listed:
            problems.append("member %s is not listed in DIGEST: added after the export" % name)
        elif listed[name] != hexd:
            problems.append("member %s: its SHA-256 is %s, DIGEST says %s: the member was "
                            "changed after the export" % (name, hexd, listed[name]))
    for name in listed.keys() - got.keys():
        problems.append("member %s is listed in DIGEST but missing from the archive" % name)
    for part, end in sorted(v.ends.items()):
        if part not in heads:
            v.finding(part, -1, None, "DIGEST states no head for this partition")
        elif heads[part] != end:
            v.finding(part, -1, None, "the partition ends at pseq %d, DIGEST says pseq %d: "
                      "records were cut from or added to its end" % (end[0], heads[part][0]))
    try:
        manifest = json.loads(texts.get("MANIFEST.json", b"null"))
    except ValueError:
        manifest = None
    check_manifest(manifest, heads, v, problems)
    if want_partition is None and "INDEX.jsonl" in texts:
        check_index(texts["INDEX.jsonl"], v, problems)
    for p in problems:
        v.findings.append("FINDING archive %s: %s" % (path, p))
    if digest is not None and (root or "") != digest.lower():
        v.findings.append("FINDING archive %s: root digest %s is not the one given (--digest %s)"
                          % (path, root, digest))
    return v, root, len(v.ends)


def main(argv):
    path, digest, part, quiet, i = None, None, None, False, 0
    try:
        while i < len(argv):
            if argv[i] in ("--digest", "--partition") and i + 1 < len(argv):
                if argv[i] == "--digest":
                    digest = argv[i + 1]
                else:
                    part = int(argv[i + 1])
                i += 2
            elif argv[i] == "--quiet":
                quiet, i = True, i + 1
            elif path is None and not argv[i].startswith("--"):
                path, i = argv[i], i + 1
            else:
                raise ValueError(argv[i])
        if path is None:
            raise ValueError("ARCHIVE")
    except ValueError:
        sys.stderr.write(__doc__)
        return 2
    try:
        v, root, nparts = verify(path, part, digest)
    except (OSError, tarfile.TarError) as e:
        sys.stderr.write("verify_archive.py: %s: %s\n" % (path, e))
        return 2
    if not quiet:
        for f in v.findings:
            print(f)
    print("archive root digest: %s" % (root or "(none: no DIGEST)"))
    print("%s: %d partitions, %d records (%d events, %d alerts), %d cases, %d chain stubs, "
          "%d duplicates ignored, %d findings: %s"
          % (path, nparts, v.records, v.events, v.timers, len(v.cases), v.stubs, v.duplicates,
             len(v.findings), "FAIL" if v.findings else "PASS"))
    return 1 if v.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
