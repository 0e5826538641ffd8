#!/usr/bin/env python3
"""Check that each simulated libtt_metal.so exports what the real runtime of its era exports,
under the real signatures (demangled names), and keeps hidden what the real one keeps hidden.

The expected signatures are written by hand from docs/tt-metal-runtime.md (the eras, what is
probed) and the upstream commits named in runtime/gen.hpp, not derived from the
simulation's sources, so a drift in either shows up here. Per variant and build:
  - every probed function and every accessor the tracer decodes is a global text symbol of
    .dynsym; destructors have D1 and D2 at one address; no two share an address;
  - names of other eras are absent; Device::id() is not in .dynsym but is a local symbol of
    .symtab in the non-stripped builds; Buffer's header-inline accessors are not exported;
  - the vtables of IDevice, Device and distributed::MeshDevice are exported;
  - calls inside the library reach the probed functions (a call or jump in the caller's
    disassembly, directly or through helpers), i.e. they were not inlined away.

Usage: check_exports.py --build BUILD/sim [--variant V ...]
Exit 0 and one line per library, or 1 listing what is wrong.
"""
import argparse
import os
import re
import subprocess
import sys

NS = "tt::tt_metal::"
VARIANTS = {"e1": 1, "e2": 2, "e3": 3, "e4": 4, "e5": 5, "pimpl": 5, "e5x": 5}
BUILDS = ("g", "rel", "strip")
EXTRA_BUILDS = {"e5": ("fp", "cf", "clang")}
ALLOCATOR_ID = "ttsl::StrongType<unsigned int, tt::tt_metal::AllocatorIDTag>"
VTABLES = ["_ZTVN2tt8tt_metal7IDeviceE", "_ZTVN2tt8tt_metal6DeviceE",
           "_ZTVN2tt8tt_metal11distributed10MeshDeviceE"]


def crs(era):
    """CoreRangeSet moved into tt::tt_metal on 2025-11-07 (e9debc31): E3 on."""
    return ("tt::tt_metal::" if era >= 3 else "") + "CoreRangeSet const&"


def allocator(era):
    return NS + ("AllocatorImpl::" if era >= 3 else "Allocator::")


def bank_manager(era):
    suffix = ", " + ALLOCATOR_ID if era >= 2 else ""
    return [NS + "BankManager::allocate_buffer(unsigned long, unsigned long, bool, " + crs(era) +
            ", std::optional<unsigned int>" + suffix + ")",
            NS + "BankManager::deallocate_buffer(unsigned long" + suffix + ")",
            NS + "BankManager::deallocate_all()"]


def expected(era):
    alloc = allocator(era)
    names = [
        NS + "GraphTracker::instance()",
        NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)",
        NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)",
        NS + "GraphTracker::track_allocate_cb(" + crs(era) + ", unsigned long, unsigned long, bool, "
        "tt::tt_metal::IDevice const*)",
        NS + "GraphTracker::track_deallocate_cb(tt::tt_metal::IDevice const*)",
        NS + "GraphTracker::track_program(tt::tt_metal::Program*, tt::tt_metal::IDevice const*)",
        NS + "GraphTracker::hook_allocate(tt::tt_metal::Buffer const*)",
        NS + "GraphTracker::hook_deallocate(tt::tt_metal::Buffer*)",
        alloc + "allocate_buffer(tt::tt_metal::Buffer*)",
        alloc + "deallocate_buffer(tt::tt_metal::Buffer*)",
        alloc + "deallocate_buffers()",
        alloc + "clear()",
        alloc + "get_alignment(tt::tt_metal::BufferType) const",
        *bank_manager(era),
        NS + "detail::ProgramImpl::~ProgramImpl()",
        NS + "detail::ProgramImpl::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
        NS + "detail::ProgramImpl::allocate_kernel_bin_buf_on_device(tt::tt_metal::IDevice*)",
        NS + "detail::ProgramImpl::add_circular_buffer(" + crs(era) + ", tt::tt_metal::CircularBufferConfig const&)",
        NS + "Program::~Program()",
        NS + "Device::close()",
        NS + "distributed::MeshDevice::close()",
        NS + "distributed::MeshDevice::id() const",
        NS + "CloseDevice(tt::tt_metal::IDevice*)",
        NS + "Buffer::allocate_impl()",
        NS + "Buffer::deallocate_impl()",
        # The accessors the tracer decodes (buffer.cpp of every era).
        NS + "Buffer::address() const",
        NS + "Buffer::page_size() const",
        NS + "Buffer::num_pages() const",
        NS + "Buffer::is_dram() const",
        NS + "Buffer::is_l1() const",
        NS + "Buffer::is_trace() const",
        NS + "Buffer::is_valid_region(tt::tt_metal::BufferRegion const&) const",
        NS + "Buffer::alignment() const",
    ]
    if era == 1:
        names.append(NS + "Program::allocate_circular_buffers(tt::tt_metal::IDevice const*)")
    if era >= 3:
        names += [NS + "Buffer::allocator() const",
                  NS + "AllocatorImpl::~AllocatorImpl()",
                  NS + "AllocatorImpl::view() const",
                  NS + "Allocator::deallocate_buffers()",
                  NS + "distributed::MeshDeviceImpl::id() const",
                  NS + "distributed::MeshDeviceImpl::close_impl(tt::tt_metal::distributed::MeshDevice*)"]
    if era >= 5:
        names.append(NS + "detail::ProgramImpl::deallocate_circular_buffers()")
    return names


def absent(era):
    other = 1 if era >= 3 else 3
    names = [
        NS + "Device::id() const",
        NS + "Buffer::size() const",
        NS + "Buffer::device() const",
        NS + "Buffer::buffer_type() const",
        allocator(other) + "allocate_buffer(tt::tt_metal::Buffer*)",
        NS + "detail::ProgramImpl::add_circular_buffer(" + crs(other) + ", tt::tt_metal::CircularBufferConfig const&)",
        *bank_manager(2 if era == 1 else 1)[:2],
    ]
    if era != 1:
        names.append(NS + "Program::allocate_circular_buffers(tt::tt_metal::IDevice const*)")
    if era < 3:
        names.append(NS + "Buffer::allocator() const")  # inline in the header before the split
    if era < 5:
        names.append(NS + "detail::ProgramImpl::deallocate_circular_buffers()")
    return names


def calls(era):
    alloc = allocator(era)
    edges = [
        (NS + "Buffer::allocate_impl()", alloc + "allocate_buffer(tt::tt_metal::Buffer*)"),
        (NS + "Buffer::allocate_impl()", NS + "GraphTracker::hook_allocate(tt::tt_metal::Buffer const*)"),
        (NS + "Buffer::allocate_impl()", NS + "GraphTracker::track_allocate(tt::tt_metal::Buffer const*)"),
        (NS + "Buffer::deallocate_impl()", NS + "GraphTracker::track_deallocate(tt::tt_metal::Buffer*)"),
        (NS + "Buffer::deallocate_impl()", alloc + "deallocate_buffer(tt::tt_metal::Buffer*)"),
        (alloc + "allocate_buffer(tt::tt_metal::Buffer*)", bank_manager(era)[0]),
        (alloc + "deallocate_buffer(tt::tt_metal::Buffer*)", bank_manager(era)[1]),
        (alloc + "deallocate_buffers()", NS + "BankManager::deallocate_all()"),
        (NS + "Buffer::alignment() const", alloc + "get_alignment(tt::tt_metal::BufferType) const"),
        (NS + "distributed::MeshDevice::close()", alloc + "clear()"),  # ~SubDeviceManager, every era
    ]
    if era >= 2:
        edges += [(NS + "distributed::MeshDevice::close()", alloc + "deallocate_buffers()")]
    if era <= 2:  # ~SubDeviceManager on the device's allocator
        edges += [(NS + "Device::close()", alloc + "clear()")]
    if era == 2:
        edges += [(NS + "Device::close()", alloc + "deallocate_buffers()")]
    if era == 1:
        edges += [(NS + "Device::close()", NS + "Buffer::deallocate_impl()"),
                  (NS + "Program::allocate_circular_buffers(tt::tt_metal::IDevice const*)",
                   NS + "detail::ProgramImpl::allocate_circular_buffers(tt::tt_metal::IDevice const*)")]
    if era >= 3:
        edges += [(NS + "Device::close()", NS + "AllocatorImpl::~AllocatorImpl()"),
                  (NS + "Buffer::allocator() const", NS + "AllocatorImpl::view() const"),
                  (NS + "distributed::MeshDevice::id() const", NS + "distributed::MeshDeviceImpl::id() const")]
    if era >= 5:
        edges += [(NS + "detail::ProgramImpl::~ProgramImpl()", NS + "detail::ProgramImpl::deallocate_circular_buffers()"),
                  (NS + "detail::ProgramImpl::deallocate_circular_buffers()",
                   NS + "GraphTracker::track_deallocate_cb(tt::tt_metal::IDevice const*)")]
    return edges


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def call_graph(lib):
    """{function: set of functions it calls or jumps to}, from the disassembly.
    Split-off parts ("[clone .cold]") count as their function."""
    header = re.compile(r"^[0-9a-f]+ <(.+)>:$")
    target = re.compile(r"\s(?:call|jmp)\s+[0-9a-f]+ <(.+?)(?:@plt)?(?:\+0x[0-9a-f]+)?>$")
    graph, current = {}, None
    for line in run("objdump", "-d", "-C", "--no-show-raw-insn", lib).splitlines():
        m = header.match(line)
        if m:
            current = graph.setdefault(re.sub(r" \[clone [^]]*\]$", "", m.group(1)), set())
            continue
        m = target.search(line)
        if m and current is not None:
            current.add(m.group(1))
    return graph


def reaches(graph, caller, callee, depth=4):
    """True if callee is called from caller directly or through at most `depth` helpers."""
    frontier, seen = {caller}, set()
    for _ in range(depth + 1):
        nxt = set()
        for f in frontier:
            for c in graph.get(f, ()):
                if c == callee:
                    return True
                if c not in seen:
                    seen.add(c)
                    nxt.add(c)
        frontier = nxt
    return False


def symbols(lib, dynamic):
    """{demangled name: [(mangled, kind, address)]}."""
    flags = ["-D", "--defined-only"] if dynamic else ["--defined-only"]
    raw, demangled = run("nm", *flags, "--no-sort", lib).splitlines(), run("nm", *flags, "--no-sort", "-C", lib).splitlines()
    if len(raw) != len(demangled):
        raise RuntimeError(f"nm listed {len(raw)} mangled and {len(demangled)} demangled symbols")
    table = {}
    for r, d in zip(raw, demangled):
        parts = r.split(" ", 2)
        if len(parts) != 3:
            continue
        addr, kind, mangled = parts
        table.setdefault(d.split(" ", 2)[2], []).append((mangled, kind, int(addr, 16)))
    return table


def check_library(era, lib, build):
    problems = []
    dynsym = symbols(lib, dynamic=True)
    addresses = {}
    for name in expected(era):
        syms = [s for s in dynsym.get(name, []) if s[1] == "T"]
        if not syms:
            problems.append(f"missing from .dynsym: {name}")
            continue
        if "::~" in name:
            kinds = sorted(m[-4:-2] for m, _, _ in syms)
            if kinds != ["D1", "D2"] or len({a for _, _, a in syms}) != 1:
                problems.append(f"destructor without D1 and D2 at one address: {name}")
        for _, _, addr in syms:
            other = addresses.setdefault(addr, name)
            if other != name:
                problems.append(f"folded: {name} and {other} share address {addr:#x}")
    for name in absent(era):
        if name in dynsym:
            problems.append(f"exported but must not be (other era or inline): {name}")
    mangled_dyn = {m for syms in dynsym.values() for m, _, _ in syms}
    for vtable in VTABLES:
        if vtable not in mangled_dyn:
            problems.append(f"vtable not exported: {vtable}")
    if build != "strip":
        local = symbols(lib, dynamic=False).get(NS + "Device::id() const", [])
        if not any(kind == "t" for _, kind, _ in local):
            problems.append("Device::id() const is not a local symbol of .symtab")
        graph = call_graph(lib)
        for caller, callee in calls(era):
            if not reaches(graph, caller, callee):
                problems.append(f"no call from {caller} to {callee} (inlined or missing)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="the sim build directory (holding e1/ ... e5x/)")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="only these variants")
    args = parser.parse_args()
    failed = 0
    for variant in args.variant or VARIANTS:
        era = VARIANTS[variant]
        for build in BUILDS + EXTRA_BUILDS.get(variant, ()):
            lib = os.path.join(args.build, variant, build, "libtt_metal.so")
            problems = check_library(era, lib, build)
            if problems:
                failed += 1
                print(f"check_exports: {variant}/{build}: FAILED", file=sys.stderr)
                for p in problems:
                    print(f"  {p}", file=sys.stderr)
            else:
                print(f"check_exports: {variant}/{build}: {len(expected(era))} exported, {len(absent(era))} absent, "
                      f"vtables exported{'' if build == 'strip' else ', internal calls reach the probes'}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
