#!/usr/bin/env python3
"""Independent verifier of one Pravah journal partition, written from docs/JOURNAL.md alone
(standard library + msgpack; it shares no code with Pravah).

    journal_layout.py FILE [--anchor PSEQ:PHASH_HEX]...

FILE holds the partition's records in order, each framed as a 4-byte big-endian length followed
by the wire record (the Kafka message value). Checks every record's layout and both hash
formulas, the case chains (seq from 1 by 1, prev_hash = previous hash of the case) and the
partition chain (pseq from 1 by 1, pprev = previous phash). Each --anchor is a partition head
published elsewhere (PostgreSQL, an audit export's closing digest): the record at that pseq must
exist and carry that phash, which is what catches a truncated or fully rewritten partition.

Prints "N records, M cases: ok" and the head, or the first failure; exits 0 or 1 (2: usage).
"""
import hashlib
import sys

try:
    import msgpack
except ImportError:  # pragma: no cover
    sys.stderr.write("journal_layout.py: needs the msgpack module (Debian: python3-msgpack)\n")
    sys.exit(2)

FORMAT = 1
ZERO = bytes(32)
KINDS = {"event", "sla.reminder", "sla.breached", "sla.escalated"}
BODY = [  # docs/JOURNAL.md, "The body"
    ("format", "uint"), ("case_id", "str"), ("seq", "uint"), ("case_type", "str"),
    ("def_version", "uint"), ("kind", "str"), ("event_id", "str"), ("event_type", "str"),
    ("source", "str"), ("actor", "str"), ("actor_post", "str"), ("actor_role", "str"),
    ("event_time", "str"), ("accepted_at", "int"), ("prev_state", "str"), ("new_state", "str"),
    ("assignee", "str"), ("deadline", "int"), ("alert_level", "uint"), ("alert_target", "str"),
    ("data", "map"), ("office", "str"), ("prev_hash", "bin32"),
]
WIRE = [("body", "bin"), ("hash", "bin32"), ("pseq", "uint"), ("pprev", "bin32"),
        ("phash", "bin32")]
LIMITS = {"uint": 2**64 - 1, "int": 2**63 - 1}
U32 = {"format", "def_version", "alert_level"}


class Bad(Exception):
    pass


def frames(blob):
    """Yields the framed records of blob."""
    off, i = 0, 0
    while off < len(blob):
        i += 1
        if len(blob) - off < 4:
            raise Bad("record %d: file ends inside its frame length" % i)
        n = int.from_bytes(blob[off:off + 4], "big")
        off += 4
        if len(blob) - off < n:
            raise Bad("record %d: file ends inside it (frame of %d bytes)" % (i, n))
        yield blob[off:off + n]
        off += n


def unpack(raw, what):
    try:
        return msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=True)
    except msgpack.ExtraData:
        raise Bad("%s: trailing bytes" % what)
    except Exception as e:  # OutOfData, FormatError, UnicodeDecodeError, ...
        raise Bad("%s: not msgpack (%s)" % (what, e.__class__.__name__))


def check_type(value, kind, where):
    ok = {
        "uint": lambda v: type(v) is int and 0 <= v <= LIMITS["uint"],
        "int": lambda v: type(v) is int and -2**63 <= v <= LIMITS["int"],
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


def check_seal(w):
    if hashlib.sha256(w["body"]).digest() != w["hash"]:
        raise Bad("hash != SHA-256(body): the record was edited")
    link = w["pprev"] + w["hash"] + w["pseq"].to_bytes(8, "big")
    if hashlib.sha256(link).digest() != w["phash"]:
        raise Bad("phash != SHA-256(pprev || hash || uint64_be(pseq))")


class Partition:
    def __init__(self):
        self.pseq, self.head = 0, ZERO
        self.cases = {}  # case_id -> (seq, hash)
        self.at = {}     # pseq -> phash, for the anchors

    def add(self, w, b):
        if w["pseq"] != self.pseq + 1:
            raise Bad("pseq %d follows pseq %d: a record is missing, inserted or reordered"
                      % (w["pseq"], self.pseq))
        if w["pprev"] != self.head:
            raise Bad("pprev is not the phash of pseq %d: a record is missing, inserted, "
                      "reordered or re-sealed" % self.pseq)
        seq, prev = self.cases.get(b["case_id"], (0, ZERO))
        if b["seq"] != seq + 1:
            raise Bad("case %s: seq %d follows seq %d" % (b["case_id"], b["seq"], seq))
        if b["prev_hash"] != prev:
            raise Bad("case %s: prev_hash is not the hash of seq %d" % (b["case_id"], seq))
        self.cases[b["case_id"]] = (b["seq"], w["hash"])
        self.pseq, self.head = w["pseq"], w["phash"]
        self.at[self.pseq] = self.head


def check_anchor(part, anchor):
    pseq, want = anchor
    if pseq not in part.at:
        raise Bad("anchor pseq %d: the partition ends at pseq %d (newest records truncated?)"
                  % (pseq, part.pseq))
    if part.at[pseq] != want:
        raise Bad("anchor pseq %d: phash %s, anchor says %s (partition rewritten)"
                  % (pseq, part.at[pseq].hex(), want.hex()))


def parse_args(argv):
    path, anchors, i = None, [], 0
    while i < len(argv):
        if argv[i] == "--anchor" and i + 1 < len(argv):
            pseq, _, hexed = argv[i + 1].partition(":")
            anchors.append((int(pseq), bytes.fromhex(hexed)))
            i += 2
        elif path is None and not argv[i].startswith("--"):
            path, i = argv[i], i + 1
        else:
            raise ValueError(argv[i])
    if path is None:
        raise ValueError("FILE")
    return path, anchors


def verify(blob, anchors):
    """Returns the verified Partition, or raises Bad naming the first failure."""
    part = Partition()
    for i, raw in enumerate(frames(blob), 1):
        try:
            w, b = decode(raw)
            check_seal(w)
            part.add(w, b)
        except Bad as e:
            raise Bad("record %d: %s" % (i, e))
    for a in anchors:
        check_anchor(part, a)
    return part


def main(argv):
    try:
        path, anchors = parse_args(argv)
    except ValueError:
        sys.stderr.write(__doc__)
        return 2
    with open(path, "rb") as f:
        blob = f.read()
    try:
        part = verify(blob, anchors)
    except Bad as e:
        print("%s: %s" % (path, e))
        return 1
    print("%d records, %d cases: ok" % (part.pseq, len(part.cases)))
    print("head: pseq %d phash %s" % (part.pseq, part.head.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
