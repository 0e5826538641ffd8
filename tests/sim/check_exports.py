#!/usr/bin/env python3
"""Check that a simulated libtt_metal.so exports the functions the tracer probes, under
their real signatures (demangled names), per API generation.

The expected signatures are written by hand from shared/TTMETAL_API.md ("Functions of
interest" for 2026 main, "Mid-2025 differences" for mid 2025), not derived from the
simulation's sources, so a drift in either shows up here. Also checked:
  - destructors export both D1 and D2 at one address (probing both fires twice);
  - no two probed functions share an address (folded bodies would merge probes);
  - names of the other generation and inline accessors are absent;
  - calls made inside the library reach the probed functions (a call or tail jump in the
    caller's disassembly), i.e. they were not inlined away from under a uprobe.

Usage: check_exports.py [--gen2026 LIB] [--gen2025 LIB]
Exit 0 and a pass line per library, or 1 listing what is wrong.
"""
import argparse
import re
import subprocess
import sys

NS = "tt::tt_metal::"
ALLOCATOR_ID_2026 = "ttsl::StrongType<unsigned int, tt::tt_metal::AllocatorIDTag>"

# 2026 main, from TTMETAL_API.md.
EXPECTED_2026 = [
    NS + "GraphTracker::instance()",
    NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)",
    NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)",
    NS + "GraphTracker::track_allocate_cb(CoreRangeSet const&, unsigned long, unsigned long, bool, "
    "tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_deallocate_cb(tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_program(tt::tt_metal::Program*, tt::tt_metal::IDevice const*)",
    NS + "AllocatorImpl::allocate_buffer(tt::tt_metal::Buffer*)",
    NS + "AllocatorImpl::deallocate_buffer(tt::tt_metal::Buffer*)",
    NS + "AllocatorImpl::deallocate_buffers()",
    NS + "AllocatorImpl::clear()",
    NS + "BankManager::allocate_buffer(unsigned long, unsigned long, bool, CoreRangeSet const&, "
    "std::optional<unsigned int>, " + ALLOCATOR_ID_2026 + ")",
    NS + "BankManager::deallocate_buffer(unsigned long, " + ALLOCATOR_ID_2026 + ")",
    NS + "BankManager::deallocate_all()",
    NS + "detail::ProgramImpl::~ProgramImpl()",
    NS + "detail::ProgramImpl::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
    NS + "detail::ProgramImpl::deallocate_circular_buffers()",
    NS + "detail::ProgramImpl::allocate_kernel_bin_buf_on_device(tt::tt_metal::IDevice*)",
    NS + "detail::ProgramImpl::add_circular_buffer(CoreRangeSet const&, tt::tt_metal::CircularBufferConfig const&)",
    NS + "Program::~Program()",
    NS + "Device::close()",
    NS + "distributed::MeshDevice::close()",
    NS + "CloseDevice(tt::tt_metal::IDevice*)",
]

# Mid 2025: the 2026 list with the documented differences applied.
EXPECTED_2025 = [
    NS + "GraphTracker::instance()",
    NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)",
    NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)",
    NS + "GraphTracker::track_allocate_cb(CoreRangeSet const&, unsigned long, unsigned long, bool, "
    "tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_deallocate_cb()",
    NS + "GraphTracker::track_program(tt::tt_metal::Program*)",
    NS + "Allocator::allocate_buffer(tt::tt_metal::Buffer*)",
    NS + "Allocator::deallocate_buffer(tt::tt_metal::Buffer*)",
    NS + "Allocator::deallocate_buffers()",
    NS + "Allocator::clear()",
    NS + "BankManager::allocate_buffer(unsigned long, unsigned long, bool, CoreRangeSet const&, "
    "std::optional<unsigned int>)",
    NS + "BankManager::deallocate_buffer(unsigned long)",
    NS + "BankManager::deallocate_all()",
    NS + "detail::ProgramImpl::~ProgramImpl()",
    NS + "Program::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
    NS + "detail::ProgramImpl::deallocate_circular_buffers()",
    NS + "detail::ProgramImpl::allocate_kernel_bin_buf_on_device(tt::tt_metal::IDevice*)",
    NS + "detail::ProgramImpl::add_circular_buffer(CoreRangeSet const&, tt::tt_metal::CircularBufferConfig const&)",
    NS + "Program::~Program()",
    NS + "Device::close()",
    NS + "distributed::MeshDevice::close()",
    NS + "CloseDevice(tt::tt_metal::IDevice*)",
]

# What must not be there: the other generation's names, and inline accessors.
ABSENT_2026 = [
    NS + "Allocator::allocate_buffer(tt::tt_metal::Buffer*)",
    NS + "Program::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_deallocate_cb()",
    NS + "GraphTracker::track_program(tt::tt_metal::Program*)",
    NS + "Device::id() const",
]
ABSENT_2025 = [
    NS + "AllocatorImpl::allocate_buffer(tt::tt_metal::Buffer*)",
    NS + "detail::ProgramImpl::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_deallocate_cb(tt::tt_metal::IDevice const*)",
    NS + "GraphTracker::track_program(tt::tt_metal::Program*, tt::tt_metal::IDevice const*)",
    NS + "Device::id() const",
]

# (caller, callee) pairs that TTMETAL_API.md's call order ("What happens, in order") implies.
CALLS_2026 = [
    (NS + "Buffer::allocate_impl()", NS + "AllocatorImpl::allocate_buffer(tt::tt_metal::Buffer*)"),
    (NS + "Buffer::allocate_impl()", NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)"),
    (NS + "Buffer::deallocate_impl()", NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)"),
    (NS + "Buffer::deallocate_impl()", NS + "AllocatorImpl::deallocate_buffer(tt::tt_metal::Buffer*)"),
    (NS + "AllocatorImpl::allocate_buffer(tt::tt_metal::Buffer*)", EXPECTED_2026[10]),
    (NS + "AllocatorImpl::deallocate_buffer(tt::tt_metal::Buffer*)", EXPECTED_2026[11]),
    (NS + "AllocatorImpl::clear()", NS + "AllocatorImpl::deallocate_buffers()"),
    (NS + "AllocatorImpl::deallocate_buffers()", NS + "BankManager::deallocate_all()"),
    (NS + "Device::close()", NS + "AllocatorImpl::clear()"),
    (NS + "detail::ProgramImpl::~ProgramImpl()", NS + "detail::ProgramImpl::deallocate_circular_buffers()"),
    (NS + "detail::ProgramImpl::deallocate_circular_buffers()",
     NS + "GraphTracker::track_deallocate_cb(tt::tt_metal::IDevice const*)"),
]
CALLS_2025 = [
    (NS + "Buffer::allocate_impl()", NS + "Allocator::allocate_buffer(tt::tt_metal::Buffer*)"),
    (NS + "Buffer::allocate_impl()", NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)"),
    (NS + "Buffer::deallocate_impl()", NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)"),
    (NS + "Buffer::deallocate_impl()", NS + "Allocator::deallocate_buffer(tt::tt_metal::Buffer*)"),
    (NS + "Allocator::allocate_buffer(tt::tt_metal::Buffer*)", EXPECTED_2025[10]),
    (NS + "Allocator::deallocate_buffer(tt::tt_metal::Buffer*)", EXPECTED_2025[11]),
    (NS + "Allocator::clear()", NS + "Allocator::deallocate_buffers()"),
    (NS + "Allocator::deallocate_buffers()", NS + "BankManager::deallocate_all()"),
    (NS + "Device::close()", NS + "Allocator::deallocate_buffers()"),
    (NS + "Program::~Program()", NS + "detail::ProgramImpl::deallocate_circular_buffers()"),
    (NS + "detail::ProgramImpl::deallocate_circular_buffers()", NS + "GraphTracker::track_deallocate_cb()"),
]


def call_graph(lib):
    """{function: set of functions it calls or tail-jumps to}, from the disassembly.
    Split-off parts ("[clone .cold]") count as their function."""
    out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", lib],
                         check=True, capture_output=True, text=True).stdout
    header = re.compile(r"^[0-9a-f]+ <(.+)>:$")
    target = re.compile(r"\s(?:call|jmp)\s+[0-9a-f]+ <(.+?)(?:@plt)?(?:\+0x[0-9a-f]+)?>$")
    graph, current = {}, None
    for line in out.splitlines():
        m = header.match(line)
        if m:
            current = graph.setdefault(re.sub(r" \[clone [^]]*\]$", "", m.group(1)), set())
            continue
        m = target.search(line)
        if m and current is not None:
            current.add(m.group(1))
    return graph


def exported_functions(lib):
    """{demangled name: [(mangled, address)]} for the defined text symbols of .dynsym."""
    def nm(*flags):
        out = subprocess.run(["nm", "-D", "--defined-only", "--no-sort", *flags, lib],
                             check=True, capture_output=True, text=True).stdout
        return out.splitlines()

    raw, demangled = nm(), nm("-C")
    if len(raw) != len(demangled):
        raise RuntimeError(f"nm listed {len(raw)} mangled and {len(demangled)} demangled symbols")
    functions = {}
    for r, d in zip(raw, demangled):
        addr, kind, mangled = r.split(" ", 2)
        if kind != "T":  # global, strong, in .text: a real out-of-line function
            continue
        name = d.split(" ", 2)[2]
        functions.setdefault(name, []).append((mangled, int(addr, 16)))
    return functions


def check(gen, lib):
    expected, absent, calls = ((EXPECTED_2026, ABSENT_2026, CALLS_2026) if gen == 2026
                               else (EXPECTED_2025, ABSENT_2025, CALLS_2025))
    functions = exported_functions(lib)
    problems = []
    probe_addresses = {}
    for name in expected:
        symbols = functions.get(name)
        if not symbols:
            problems.append(f"missing: {name}")
            continue
        if "::~" in name:
            kinds = sorted(m[-4:-2] for m, _ in symbols)  # ...D1Ev / ...D2Ev
            if kinds != ["D1", "D2"] or len({a for _, a in symbols}) != 1:
                problems.append(f"destructor without D1 and D2 at one address: {name}: {symbols}")
        for _, addr in symbols:
            other = probe_addresses.setdefault(addr, name)
            if other != name:
                problems.append(f"folded: {name} and {other} share address {addr:#x}")
    for name in absent:
        if name in functions:
            problems.append(f"exported but must not be (other generation or inline): {name}")
    graph = call_graph(lib)
    for caller, callee in calls:
        if callee not in graph.get(caller, ()):
            problems.append(f"no call from {caller} to {callee} (inlined or missing)")

    if problems:
        print(f"check_exports: gen{gen}: {lib}: FAILED", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return False
    print(f"check_exports: gen{gen}: {len(expected)} probed functions exported with their real "
          f"signatures, "
          f"{len(absent)} foreign names absent, {len(calls)} internal calls reach them: ok")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gen2026", metavar="LIB", help="2026-main libtt_metal.so")
    parser.add_argument("--gen2025", metavar="LIB", help="mid-2025 libtt_metal.so")
    args = parser.parse_args()
    if not args.gen2026 and not args.gen2025:
        parser.error("give --gen2026 and/or --gen2025")
    ok = True
    for gen, lib in ((2026, args.gen2026), (2025, args.gen2025)):
        if lib:
            ok = check(gen, lib) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
