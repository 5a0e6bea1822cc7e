#!/usr/bin/env python3
"""Turns journal messages into a table, for the tests/kafka/*.sh tests: one line per record,
tab-separated: partition, offset, case_id, seq, kind, event_id, accepted_at, deadline,
alert_level, alert_target, new_state, assignee. Times are printed as IST (+05:30) RFC 3339 with
milliseconds (deadline "-" when none). The record layout is docs/JOURNAL.md's; a small msgpack
decoder is built in, so only the Python standard library is needed.

Input on stdin is what `kcat -C -t pravah.journal -e -q -f '%S %p %o\\n%s\\n'` prints: a line
"SIZE PARTITION OFFSET", then SIZE bytes of value, then a newline.

Usage: gen_journal_table.py < kcat-output"""
import datetime
import struct
import sys

IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))


def unpack(b, i):
    """Decodes one msgpack object at b[i:]; returns (object, next index)."""
    t = b[i]
    i += 1
    if t <= 0x7f:
        return t, i
    if t >= 0xe0:
        return t - 0x100, i
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return b[i:i + n].decode(), i + n
    if 0x90 <= t <= 0x9f:
        return unpack_seq(b, i, t & 0x0f)
    if 0x80 <= t <= 0x8f:
        return unpack_map(b, i, t & 0x0f)
    if t == 0xc0:
        return None, i
    if t in (0xc2, 0xc3):
        return t == 0xc3, i
    fixed = {0xcc: '>B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q', 0xd0: '>b', 0xd1: '>h', 0xd2: '>i',
             0xd3: '>q', 0xca: '>f', 0xcb: '>d'}
    if t in fixed:
        n = struct.calcsize(fixed[t])
        return struct.unpack(fixed[t], b[i:i + n])[0], i + n
    sized = {0xc4: ('>B', 'bin'), 0xc5: ('>H', 'bin'), 0xc6: ('>I', 'bin'),
             0xd9: ('>B', 'str'), 0xda: ('>H', 'str'), 0xdb: ('>I', 'str'),
             0xdc: ('>H', 'array'), 0xdd: ('>I', 'array'), 0xde: ('>H', 'map'), 0xdf: ('>I', 'map')}
    if t in sized:
        fmt, kind = sized[t]
        w = struct.calcsize(fmt)
        n = struct.unpack(fmt, b[i:i + w])[0]
        i += w
        if kind == 'bin':
            return bytes(b[i:i + n]), i + n
        if kind == 'str':
            return b[i:i + n].decode(), i + n
        return (unpack_seq if kind == 'array' else unpack_map)(b, i, n)
    raise ValueError('msgpack type 0x%02x not used by journal records' % t)


def unpack_seq(b, i, n):
    out = []
    for _ in range(n):
        v, i = unpack(b, i)
        out.append(v)
    return out, i


def unpack_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = unpack(b, i)
        v, i = unpack(b, i)
        out[k] = v
    return out, i


def ist(ms):
    if not ms:
        return '-'
    t = datetime.datetime.fromtimestamp(ms / 1000, IST)
    return t.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d+05:30' % (ms % 1000)


def main():
    data = sys.stdin.buffer.read()
    pos = 0
    while pos < len(data):
        nl = data.index(b'\n', pos)
        size, part, off = (int(x) for x in data[pos:nl].split())
        value = data[nl + 1:nl + 1 + size]
        pos = nl + 1 + size + 1
        wire, _ = unpack(value, 0)
        body, _ = unpack(wire[0], 0)
        if len(body) != 23 or body[0] != 1:
            raise SystemExit('partition %d offset %d: not a format-1 journal record' % (part, off))
        print('\t'.join(str(x) for x in (
            part, off, body[1], body[2], body[5], body[6], ist(body[13]), ist(body[17]), body[18],
            body[19] or '-', body[15], body[16] or '-')))


if __name__ == '__main__':
    main()
