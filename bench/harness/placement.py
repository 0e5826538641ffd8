"""Probe placement: what a uprobe costs on each kind of instruction, what the
probed functions start with in each compiler's build, and what moving a probe
past a single-stepped first instruction would save.

1. cost: bench/uprobe_cost with the floor on functions that differ only in
   their first instruction (bench/insn_targets.S); an instruction kind is
   "emulated" when its hit costs less than twice the cheapest kind's, else
   the kernel single-steps it.
2. survey: bench/insn_survey (capstone) on the simulated runtime built by g++
   and clang at -O2/-O3, with and without -fcf-protection; for each probed
   function, its first instruction and the first later one a probe could move
   to (rules below).
3. live: on the g++ -O2 -fcf-protection build (every probed function starts
   with endbr64), the per-event cost with the floor at the tracer's offsets,
   with the floor moved by the strict rule, and with the tracer as it is.

Rules for moving a probe from the entry to a later instruction I of the
prologue, both requiring that I is emulated, that no instruction before I is
a branch, and that no branch of the function jumps to I (the probe would fire
again):
  strict:  every instruction before I is endbr64 or a nop: no effect on any
           register or memory, so the probe sees exactly the entry state.
  relaxed: no instruction before I writes a register the probe's BPF program
           reads (its arguments, bpf/ttleak.bpf.c) or stores to memory other
           than by push; stack pointer and callee-saved registers may change.
Never for a return probe: the tracer has none. With --stacks the probe also
walks the user stack from rsp/rbp: the strict rule leaves them as at the entry,
the relaxed one does not.
"""
import json
import os
import subprocess

from .paths import VARIANTS
from .per_event import kinds_cmd, row_values
from .procs import BenchError, Floor, Tracer, run_paused
from .stats import per_op, rotated, summary

# uprobe_cost's functions: (instruction kind, where the floor probes).
COST_SITES = [("push", "insn_push"), ("nop", "insn_nop"), ("nop5", "insn_nop5"),
              ("endbr64", "insn_endbr64"), ("mov", "insn_mov"), ("sub", "insn_sub"),
              ("lea", "insn_lea"), ("xor", "insn_xor"), ("jmp", "insn_jmp"),
              ("endbr64 skipped", "insn_endbr64_push+4"), ("jcc taken", "insn_jcc_taken+3"),
              ("jcc not taken", "insn_jcc_not_taken+3"), ("call", "insn_call")]

# Argument registers each BPF program of bpf/ttleak.bpf.c reads (x86-64 SysV:
# rdi, rsi, rdx, rcx, r8, r9). Kept in step with that file by hand.
PROGRAM_READS = {
    "buffer_alloc": {"rsi"}, "buffer_free": {"rdi", "rsi"}, "allocator_reset": {"rdi"},
    "cb_layout": {"rdi", "rsi"}, "cb_alloc": {"rdx", "rcx", "r8", "r9"},
    "cb_dealloc": {"rsi"}, "cb_dealloc_all": set(), "program_destroy": {"rdi"},
    "device_close": {"rdi"},
}
_SUBREGS = {"rdi": ("edi", "di", "dil"), "rsi": ("esi", "si", "sil"),
            "rdx": ("edx", "dx", "dl", "dh"), "rcx": ("ecx", "cx", "cl", "ch"),
            "r8": ("r8d", "r8w", "r8b"), "r9": ("r9d", "r9w", "r9b")}
FULL_REG = {sub: full for full, subs in _SUBREGS.items() for sub in subs + (full,)}


# ---- 1. cost per instruction kind ------------------------------------------

def cost(build, rounds, log):
    prog = build.bench("uprobe_cost")
    per_kind = {k: [] for k, _ in COST_SITES}
    for _ in range(rounds):
        res, tres = run_paused([prog], Floor(build, lib=prog, funcs=[f for _, f in COST_SITES]))
        if "count_mismatch" in tres:
            raise BenchError(tres["count_mismatch"])
        for kind, site in COST_SITES:
            f = res["functions"][site.split("+")[0]]
            per_kind[kind].append(per_op(f["traced_block_ns"], f["calls_per_block"]) -
                                  per_op(f["untraced_block_ns"], f["calls_per_block"]))
    out = {k: summary(v) for k, v in per_kind.items()}
    cheapest = min(v["median"] for v in out.values())
    emulated = sorted(k for k, v in out.items()
                      if v["median"] < 2 * cheapest and k != "endbr64 skipped")
    log("uprobe hit: " + ", ".join(f"{k} {v['median']:.0f}" for k, v in out.items()) + " ns")
    return {"ns_per_hit": out, "emulated": emulated}


# ---- 2. survey -----------------------------------------------------------------

def kind_of(insn):
    m = insn["mnemonic"]
    if m == "nop":
        return "nop" if insn["bytes"] == "90" else "nop5"
    if m == "jmp":
        return "jmp" if insn["op_str"].startswith("0x") else "jmp indirect"
    if m.startswith("mov"):
        return "mov"
    return m


def stores_to_memory(insn):
    """Intel syntax puts the destination first: a store names memory there."""
    dest = insn["op_str"].split(",")[0]
    return "[" in dest and kind_of(insn) not in ("push", "nop", "nop5", "cmp", "test")


def move_for(func, emulated, rule):
    """Offset a probe could move to under rule, or None."""
    reads = PROGRAM_READS.get(func["bpf_program"], {"rdi", "rsi", "rdx", "rcx", "r8", "r9"})
    prologue = func["prologue"]
    for i in range(1, len(prologue)):
        before = prologue[i - 1]
        if before["branch"]:
            return None
        if rule == "strict" and kind_of(before) not in ("endbr64", "nop", "nop5"):
            return None
        if rule == "relaxed" and ({FULL_REG.get(r, r) for r in before["writes"]} & reads or
                                  stores_to_memory(before)):
            return None
        insn = prologue[i]
        if kind_of(insn) in emulated and insn["off"] not in func["branch_targets"]:
            return insn["off"]
    return None


def survey(build, cost_res, log):
    libs = [build.variant_lib(v) for v in VARIANTS]
    p = subprocess.run([build.bench("insn_survey"), *libs], capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"insn_survey failed: {p.stderr[-1000:]}")
    data = json.loads(p.stdout)
    emulated = set(cost_res["emulated"])
    ns = {k: v["median"] for k, v in cost_res["ns_per_hit"].items()}
    step_ns = max(ns.values())
    out = {}
    for variant, lib in zip(VARIANTS, data["libraries"]):
        funcs = []
        for f in lib["functions"]:
            first = kind_of(f["prologue"][0]) if f["prologue"] else "?"
            entry = {"probe": f["probe"], "bpf_program": f["bpf_program"],
                     "offset": f["offset"], "first": first,
                     "tracer_moved": f["tracer_moved"], "tracer_site": f["tracer_site"],
                     "first_text": " ".join([f["prologue"][0]["mnemonic"],
                                             f["prologue"][0]["op_str"]]).strip()
                     if f["prologue"] else "?",
                     "emulated": first in emulated}
            if not entry["emulated"]:
                for rule in ("strict", "relaxed"):
                    entry[rule] = move_for(f, emulated, rule)
            funcs.append(entry)
        stepped = [f for f in funcs if not f["emulated"]]
        out[variant] = {
            "functions": funcs,
            "single_stepped": len(stepped),
            "movable_strict": sum(1 for f in stepped if f.get("strict") is not None),
            "movable_relaxed": sum(1 for f in stepped if f.get("relaxed") is not None),
            "first_kinds": sorted({f["first"] for f in funcs}),
        }
    log("survey: " + ", ".join(f"{v} {o['single_stepped']}/{len(o['functions'])} stepped "
                               f"({o['movable_strict']} strict)" for v, o in out.items()))
    return {"variants": out, "single_step_ns": step_ns,
            "emulated_ns": min(ns[k] for k in emulated) if emulated else None}


# ---- 3. live, on builds with and without -fcf-protection ----------------------------------

# g++, clang++ 14 and clang++ 19 -O3 without -fcf-protection (the PyPI wheel's shape; it is
# built by clang 20), and g++ -O2 with it (every function starts with endbr64).
LIVE_VARIANTS = ("gcc-O3", "clang-O3", "clang19-O3", "gcc-O2-cf")
# The goals of the per-event cost (issue: probes on emulated instructions).
GOAL_OWN_SITE = 1.15   # tracer / a counting probe at the tracer's own site
GOAL_VS_ENTRY = 0.35   # tracer / a counting probe at a single-stepped entry


def live_variant(build, variant, funcs, rounds, scale):
    lib = build.variant_lib(variant)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(lib))
    entry = [f["offset"] for f in funcs]
    site = [f["offset"] + f["tracer_moved"] for f in funcs]
    configs = {"floor at entry": lambda: Floor(build, lib=lib, offsets=entry),
               "floor at site": lambda: Floor(build, lib=lib, offsets=site),
               "tracer": lambda: Tracer(build)}
    per_round = []
    order = list(configs)
    for r in range(rounds):
        got = {}
        for name in rotated(order, r):
            got[name] = row_values(run_paused(kinds_cmd(build, scale), configs[name](),
                                              env=env)[0]["regions"])
        per_round.append(got)
    rows = {}
    for key in per_round[0]["floor at entry"]:
        rows[key] = {name: summary(r[name][key][0] for r in per_round) for name in configs}
        # Ratios within each round (same load), then their median.
        rows[key]["tracer/site"] = summary(r["tracer"][key][0] / r["floor at site"][key][0]
                                           for r in per_round)
        rows[key]["tracer/entry"] = summary(r["tracer"][key][0] / r["floor at entry"][key][0]
                                            for r in per_round)
    return rows


# The BPF programs whose events each row of kinds counts.
ROW_PROGRAMS = {"buffer_alloc": ("buffer_alloc",), "buffer_free": ("buffer_free",),
                "cb_alloc": ("cb_alloc",), "cb_layout": ("cb_layout",),
                "program_destroy": ("program_destroy", "cb_dealloc"),
                "device_close": ("device_close", "allocator_reset")}


def entry_stepped(funcs):
    """row -> True when the entry of every function its events come from is single-stepped."""
    stepped = {}
    for f in funcs:
        stepped.setdefault(f["bpf_program"], []).append(not f["emulated"])
    return {row: all(all(stepped.get(p, [False])) for p in progs)
            for row, progs in ROW_PROGRAMS.items()}


def live(build, survey_res, rounds, scale, log):
    out = {"rounds": rounds, "variants": {}}
    for variant in LIVE_VARIANTS:
        funcs = survey_res["variants"][variant]["functions"]
        rows = live_variant(build, variant, funcs, rounds, scale)
        stepped = entry_stepped(funcs)
        for key, row in rows.items():
            row["entry_stepped"] = stepped.get(key, False)
            row["goal_site_met"] = row["tracer/site"]["median"] <= GOAL_OWN_SITE
            row["goal_entry_met"] = (row["tracer/entry"]["median"] <= GOAL_VS_ENTRY
                                     if row["entry_stepped"] else None)
        out["variants"][variant] = {
            "sites": {f["probe"]: {"moved": f["tracer_moved"], "insn": f["tracer_site"]}
                      for f in funcs},
            "rows": rows}
        log(f"live on {variant}: " + ", ".join(
            f"{k} {r['tracer']['median']:.0f} ns ({r['tracer/site']['median']:.2f}x site)"
            for k, r in rows.items()))
    return out
