"""2. Whole-workload slowdown on a ttnn-like op loop (bench/op_loop.cpp).

traced / untraced time per op, both passes in one process, for the tracer and,
for reference, the floor and bpftrace. What dominates: the floor's per-probe
hit counts give the events per op of each kind; times the tracer's cost per
event of that kind (section 1) they split the added time.
"""
import os

from .per_event import make_tools
from .procs import Floor, NoTool, Tracer, run_paused
from .stats import per_op, rotated, summary

GOAL = 1.05
# Floor probe labels (user/attach/probes.c) -> the per-event rows of section 1.
LABEL_ROW = {"buffer allocate": "buffer_alloc", "buffer free": "buffer_free",
             "CB layout": "cb_layout", "CB allocate": "cb_alloc",
             "CB deallocate report": "program_destroy",
             "program destroy (~ProgramImpl)": "program_destroy",
             "device close": "device_close", "allocator bulk reset": "device_close",
             "allocator clear": "device_close"}


def op_cmd(build, ops, work_us=0):
    return [build.bench("op_loop"), "--ops", str(ops), "--op-work-us", str(work_us)]


def slowdown(res):
    u = per_op(res["untraced_block_ns"], res["ops_per_block"])
    t = per_op(res["traced_block_ns"], res["ops_per_block"])
    return t / u, u, t - u


def op_rounds(build, tools, rounds, ops, log, label, env=None):
    """Each tool once a round, in a rotating order: {tool: [slowdown(...) per round]},
    {tool: (program result, tool result) of its last run}, and count mismatches."""
    order = list(tools)
    runs = {n: [] for n in order}
    last, problems = {}, []
    for r in range(rounds):
        for name in rotated(order, r):
            res, tres = run_paused(op_cmd(build, ops), tools[name](), env=env)
            if "count_mismatch" in tres:
                problems.append(f"round {r + 1}: {tres['count_mismatch']}")
            runs[name].append(slowdown(res))
            last[name] = (res, tres)
        log(f"{label} round {r + 1}/{rounds}: " + ", ".join(
            f"{n} {runs[n][-1][0]:.2f}x" for n in order))
    return runs, last, problems


def floor_hits_per_op(res, tres):
    """Probe label -> hits per op, from a floor run."""
    total_ops = res["ops_per_block"] * len(res["traced_block_ns"])
    hits = {}
    for p in tres["probes"]:
        label = p["where"].split("@")[0]
        hits[label] = hits.get(label, 0) + p["hits"] / total_ops
    return hits


def run(build, script, rounds, ops, per_event, log):
    tools = make_tools(build, script)
    order = list(tools)
    runs, last, problems = op_rounds(build, tools, rounds, ops, log, "op loop")
    hits = floor_hits_per_op(*last["floor"])
    events_per_op = last["floor"][0]["events_per_op"]
    out = {"rounds": rounds, "ops": ops, "events_per_op": events_per_op,
           "untraced_us_per_op": summary(s[1] / 1e3 for n in order for s in runs[n]),
           "slowdown": {n: summary(s[0] for s in runs[n]) for n in order},
           "added_us_per_op": {n: summary(s[2] / 1e3 for s in runs[n]) for n in order},
           "problems": problems, "goal": f"tracer < {GOAL}x"}
    added = out["added_us_per_op"]["tracer"]["median"]
    out["goal_met"] = out["slowdown"]["tracer"]["median"] < GOAL
    # An op would need to take this long, untraced, for the tracer to add 5 %.
    out["op_us_for_goal"] = added / (GOAL - 1)
    out["dominant"] = split_by_kind(hits, per_event)
    return out


def split_by_kind(hits, per_event):
    """Estimated share of the tracer's added time per probe kind, from measured counts
    (floor hits per op) and measured costs (section 1)."""
    if not hits or not per_event:
        return []
    rows = per_event["rows"]
    parts = []
    for label, per_op_hits in hits.items():
        row = LABEL_ROW.get(label)
        if not per_op_hits or row not in rows:
            continue
        ns = rows[row]["ns_per_event"]["tracer"]["median"]
        parts.append({"probe": label, "events_per_op": per_op_hits, "ns_per_event": ns,
                      "ns_per_op": per_op_hits * ns})
    total = sum(p["ns_per_op"] for p in parts) or 1
    for p in parts:
        p["share"] = p["ns_per_op"] / total
    return sorted(parts, key=lambda p: -p["ns_per_op"])


def run_with_work(build, rounds, ops, work_us, log):
    """The same loop with work_us of modelled op time: the added time stays, its share
    shrinks."""
    tools = make_tools(build, None)
    runs = {"control": [], "tracer": []}
    for r in range(rounds):
        for name in runs:
            res, _ = run_paused(op_cmd(build, ops, work_us), tools[name]())
            runs[name].append(slowdown(res))
    log(f"op loop with {work_us} us/op: tracer {summary(s[0] for s in runs['tracer'])['median']:.3f}x")
    return {"op_work_us": work_us, "rounds": rounds, "ops": ops,
            "slowdown": {n: summary(s[0] for s in v) for n, v in runs.items()},
            "added_us_per_op": {n: summary(s[2] / 1e3 for s in v) for n, v in runs.items()}}


# The PyPI wheel's shape: clang -O3, no frame pointers, no -fcf-protection (clang 19, the
# nearest Debian 12 has to the wheel's clang 20).
RELEASE_VARIANT = "clang19-O3"


def run_release(build, rounds, ops, log):
    """The op loop on the release-shaped build of the runtime: added us per op for the
    tracer and the floor (the same probes, counting only), in the same rounds."""
    lib = build.variant_lib(RELEASE_VARIANT)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(lib))
    tools = {"control": NoTool, "floor": lambda: Floor(build, lib=lib),
             "tracer": lambda: Tracer(build)}
    runs, _, problems = op_rounds(build, tools, rounds, ops, log,
                                  f"op loop on {RELEASE_VARIANT}", env=env)
    out = {"variant": RELEASE_VARIANT, "rounds": rounds, "ops": ops, "problems": problems,
           "added_us_per_op": {n: summary(s[2] / 1e3 for s in v) for n, v in runs.items()},
           "slowdown": {n: summary(s[0] for s in v) for n, v in runs.items()}}
    out["tracer_over_floor"] = summary(t[2] / f[2] for t, f in zip(runs["tracer"], runs["floor"]))
    return out

