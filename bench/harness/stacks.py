"""7. --stacks cost per allocation event: the kernel's frame-pointer walk against a copy
of the registers and the stack for the CFI unwinder (--stacks=dwarf), both on the
simulated runtime's frame-pointer build (e5/fp, put in place of the benchmark's runtime
through LD_LIBRARY_PATH). bench/kinds.cpp itself is built -O2, so the walk by frame
pointers stops in its frames; both modes stop there or before main. Ratios are taken
within a round. The unwinding in user space happens off the traced thread: its cost
shows as the tracer's CPU time, not here."""
import os

from .per_event import kinds_cmd, row_values
from .procs import NoTool, Tracer, run_paused
from .stats import rotated, summary

GOAL = 3.0
KEYS = ("buffer_alloc", "cb_alloc")


def run(build, rounds, scale, log):
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(build.root, "sim", "e5", "fp"))
    tools = {"control": NoTool, "no stacks": lambda: Tracer(build),
             "fp": lambda: Tracer(build, ["--stacks=fp"]),
             "dwarf": lambda: Tracer(build, ["--stacks=dwarf"])}
    per_round = []
    for r in range(rounds):
        got = {}
        order = list(tools)
        for name in rotated(order, r):
            res, _ = run_paused(kinds_cmd(build, scale), tools[name](), env=env)
            got[name] = row_values(res["regions"])
        per_round.append(got)
        log(f"stacks round {r + 1}/{rounds}: " + ", ".join(
            f"{n} {got[n]['buffer_alloc'][0]:.0f}" for n in order) + " ns/buffer alloc")
    rows = {}
    for key in KEYS:
        rows[key] = {
            "ns_per_event": {t: summary(g[t][key][0] for g in per_round) for t in tools},
            "dwarf_over_fp": summary(g["dwarf"][key][0] / g["fp"][key][0] for g in per_round),
        }
        rows[key]["goal_met"] = rows[key]["dwarf_over_fp"]["median"] <= GOAL
    return {"rounds": rounds, "scale": scale, "rows": rows,
            "goal": f"--stacks=dwarf <= {GOAL}x --stacks=fp per allocation event"}
