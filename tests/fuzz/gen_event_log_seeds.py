#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_event_log (tests/fuzz/corpus/event_log/) in the
current event log format: user/model/event_log.h (header, records, footer and its
metadata section) and user/pipeline/run_record.h (the metadata entries). Run it
again whenever either format changes: python3 tests/fuzz/gen_event_log_seeds.py

Paths in the seeds are relative, so the corpus names no machine."""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus", "event_log")

# struct ttleak_event (include/ttleak_event.h), no padding: ts_ns, tgid, tid, kind,
# buffer_type, flags, chip_id, stack_id, mesh_id, then nine u64 (device ..
# probe_ip; address and size share their bytes with comm).
EVENT = struct.Struct("<QIIBBHiii9Q")
STACK_ERRORS = 3   # TTLEAK_STACK_ERROR_MAX
DROP_REASONS = 1   # TTLEAK_DROP_REASON_MAX


def version():
    with open(os.path.join(ROOT, "include", "ttleak_event.h")) as f:
        return int(re.search(r"#define TTLEAK_EVENT_VERSION (\d+)", f.read()).group(1))


def header(pid=42, flags=1, mask=0xff, start=5):
    return b"TTLEAKEV" + struct.pack("<IIIIQQ", version(), EVENT.size, pid, flags, mask, start)


def event(ts, kind, tgid=42, btype=0, flags=0, stack=-1, address=0, size=0):
    return EVENT.pack(ts, tgid, tgid, kind, btype, flags, 0, stack, -1, 0x5000, 0, 0x7000,
                      0x6000, 0, address, size, 2048, 0x7f0000001000)


def footer(count, drops=0, meta=b""):
    return (b"TTLEAKND" + struct.pack("<Q", count) + struct.pack("<Q", drops) * DROP_REASONS
            + struct.pack("<I", len(meta)) + meta)


def s(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def entry(tag, payload):
    return struct.pack("<HI", tag, len(payload)) + payload


def metadata():
    run = (struct.pack("<dQIIIBi", 2.5, 11, 0x1f, 1, 0, 1, 0)
           + struct.pack("<Q", 0) * STACK_ERRORS
           + struct.pack("<QQ", 3, 0)  # unarmed_events, mesh_id_read_faults
           + s("python3 test.py") + s("lib/libtt_metal.so") + s("E3-E5") + s("DWARF")
           + s("process exited"))
    label = struct.pack("<I", 42) + s("") + s("[ttsim_workload]")
    library = (s("lib/libtt_metal.so") + struct.pack("<IBB", 0, 0, 1) + s("E3-E5") + s("DWARF")
               + s(""))
    stats = struct.pack("<8Q", 1, 0, 0, 0, 0, 0, 0, 0)
    frames = [(0x7f0000001000, 0x147d7, 0, 1 | 2, ["lib/libtt_metal.so", "allocate"]),
              (0x401234, 0x1234, 58, 1 | 2 | 4, ["bin/ttsim_workload", "main", "main.c"]),
              (0xdead0000, 0, 0, 0, [])]
    stack = struct.pack("<IiH", 42, 1, len(frames))
    for ip, offset, line, has, strings in frames:
        stack += struct.pack("<QQiB", ip, offset, line, has) + b"".join(s(x) for x in strings)
    return (entry(1, run) + entry(2, label) + entry(3, library) + entry(4, stats)
            + entry(5, stack))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.unlink(os.path.join(OUT, old))
    write("magic_only.bin", b"TTLEAKEV")
    write("empty_log.bin", header() + footer(0))
    write("truncated.bin", header() + event(1, 1)[:20])
    backwards = [event(1000000000 - 1000 * i, 1 + i, btype=i % 5) for i in range(3)]
    write("backwards.bin", header() + b"".join(backwards) + footer(3))
    kinds = [event(1000 + i, kind, btype=kind % 5, stack=1 if kind == 1 else -1,
                   flags=8 if kind == 1 else 0, address=0x3FFFF000, size=24576)
             for i, kind in enumerate(range(1, 11))]
    write("all_kinds_metadata.bin", header() + b"".join(kinds) + footer(len(kinds), 2,
                                                                          metadata()))
    bad = bytearray(metadata())
    bad[0] = 9  # an entry of an unknown kind
    write("metadata_damaged.bin", header() + footer(0, 0, bytes(bad)))


if __name__ == "__main__":
    main()
