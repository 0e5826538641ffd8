"""The printed table: one block per measurement, every number from results."""
from .per_event import GOAL_OVER_FLOOR, ROWS


def fmt(s, scale=1.0, digits=0, spread=True):
    """'median [min-max]' of a summary, scaled."""
    if not s:
        return "-"
    f = f"{{:.{digits}f}}"
    text = f.format(s["median"] * scale)
    if spread and s["n"] > 1:
        text += f" [{f.format(s['min'] * scale)}..{f.format(s['max'] * scale)}]"
    return text


def yes(ok):
    return "MET" if ok else "NOT MET"


def grid(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


# BPF time per buffer event (kernel statistics), the goal of the probes' own work.
GOAL_BPF_BUFFER_NS = 300


def bpf_goal(progs, ring_ns):
    """The buffer programs against the goal, and against a bare ring record."""
    buffer = [progs[k] for k in ("buffer_alloc", "buffer_free") if k in progs]
    if not buffer:
        return []
    worst = max(buffer)
    line = (f"   goal: buffer events <= {GOAL_BPF_BUFFER_NS} ns in BPF: "
            f"{'MET' if worst <= GOAL_BPF_BUFFER_NS else 'NOT MET'} ({worst:.0f} ns)")
    if ring_ns:
        line += (f"; a counted hit that only sends one ring record costs {ring_ns:.0f} ns, "
                 f"so the tracer's own work is {worst - ring_ns:.0f} ns")
    return [line]


def per_event(pe, bpf):
    out = [f"1. Per-event overhead: (traced - untraced) / events, ns per event; median "
           f"[min..max] of {pe['rounds']} rounds",
           f"   goal: {pe['goal']}"]
    rows = []
    for key in (k for k, _, _ in ROWS if k in pe["rows"]):
        r = pe["rows"][key]
        n = r["ns_per_event"]
        over_floor, over_bt = r["tracer_over_floor"], r["tracer_over_bpftrace"]
        rows.append([r["label"], fmt(r["untraced_ns_per_call"], spread=False),
                     fmt(n["control"], spread=False), fmt(n["floor"]), fmt(n["tracer"]),
                     fmt(n["bpftrace"]), fmt(n.get("tracer --stacks"), spread=False),
                     fmt(over_floor, digits=3),
                     "yes" if over_floor["median"] <= GOAL_OVER_FLOOR else "no",
                     fmt(over_bt, digits=2), "yes" if over_bt["median"] < 1 else "no"])
    out += ["   " + l for l in grid(["kind", "untraced/call", "control", "floor", "tracer",
                                      "bpftrace", "--stacks", "tracer/floor", "<=1.15",
                                      "tracer/bpftrace", "<1"], rows)]
    if bpf:
        out.append("   time inside BPF per event (kernel bpf_stats): " + ", ".join(
            f"{k} {v['ns_per_run']:.0f} ns" for k, v in bpf.items() if v["ns_per_run"]))
        progs = bpf.get("tracer", {}).get("by_program", {})
        if progs:
            out.append("   tracer by program: " + ", ".join(
                f"{k} {v:.0f}" for k, v in sorted(progs.items(), key=lambda kv: -kv[1])) + " ns")
        out += bpf_goal(progs, bpf.get("ring record", {}).get("ns_per_run"))
    for p in pe["problems"]:
        out.append("   CHECK: " + p)
    return out


def workload(w, ww, wr=None):
    out = [f"2. Op loop (1-3 buffers, a cached program of 3-6 CBs, inputs freed; "
           f"{w['events_per_op']:.2f} events/op), traced / untraced; {w['rounds']} rounds",
           f"   untraced: {fmt(w['untraced_us_per_op'], digits=2)} us per op (simulated runtime: "
           f"bookkeeping only, no device work)"]
    rows = [[n, fmt(w["slowdown"][n], digits=3), fmt(w["added_us_per_op"][n], digits=2)]
            for n in ("tracer", "floor", "bpftrace", "control")]
    out += ["   " + l for l in grid(["", "slowdown", "added us/op"], rows)]
    out.append(f"   goal {w['goal']}: {yes(w['goal_met'])}; the tracer adds "
               f"{w['added_us_per_op']['tracer']['median']:.2f} us per op, under 5 % for ops "
               f"of {w['op_us_for_goal']:.0f} us or more")
    if w["dominant"]:
        out.append("   what dominates (events/op x tracer ns/event, section 1): " + "; ".join(
            f"{d['probe']} {d['events_per_op']:.2f} x {d['ns_per_event']:.0f} = "
            f"{d['share'] * 100:.0f} %" for d in w["dominant"]))
    if ww:
        out.append(f"   with {ww['op_work_us']:g} us of modelled op time per op: tracer "
                   f"{fmt(ww['slowdown']['tracer'], digits=3)}, control "
                   f"{fmt(ww['slowdown']['control'], digits=3)}")
    if wr:
        added = wr["added_us_per_op"]
        out.append(f"   on the release-shaped build ({wr['variant']}: -O3, no frame pointers, no "
                   f"-fcf-protection): the tracer adds {fmt(added['tracer'], digits=2)} us per "
                   f"op, a counting probe at the same sites {fmt(added['floor'], digits=2)}: "
                   f"{fmt(wr['tracer_over_floor'], digits=3)}x")
    for p in w["problems"]:
        out.append("   CHECK: " + p)
    return out


def event_rate(e):
    out = [f"3. Event rate, 2 threads allocating and freeing as fast as they can, "
           f"default ring ({e['ring_kib']} KiB)",
           f"   traced {fmt(e['rate'], 1e-3)} k events/s with {fmt(e['drops'], spread=False)} "
           f"drops (max {e['drops']['max']:.0f}); untraced {fmt(e['untraced_rate'], 1e-6, 1)} "
           f"M events/s"]
    if "ring_sweep" in e:
        first_drop = next((s for s in e["ring_sweep"] if s["drops"]), None)
        steps = ", ".join(f"{s['ring_kib']} KiB: {s['drops']} drops" for s in e["ring_sweep"])
        out.append(f"   no drops at full speed; smaller rings at full speed: {steps}")
        if first_drop:
            out.append(f"   drops start with a ring of {first_drop['ring_kib']} KiB "
                       f"({first_drop['drops'] / first_drop['events'] * 100:.2f} % of "
                       f"{first_drop['rate'] / 1e3:.0f} k events/s)")
        else:
            out.append("   no ring size tried dropped events")
    if "rate_sweep" in e:
        out.append(f"   drops at full speed; highest paced rate without drops: "
                   f"{e['rate_sweep']['max_rate_without_drops'] / 1e3:.0f} k events/s")
    return out


def tracker(t):
    return [f"4. Tracker in user space ({t['events'] / 1e6:.0f} M-event log; {t['live'] / 1e6:.0f} M "
            f"live buffers)",
            f"   tracker__consume alone: {fmt(t['consume_events_per_s'], 1e-6, 2)} M events/s; "
            f"ttleak-bpf --replay (read + track + report): "
            f"{fmt(t['replay_events_per_s'], 1e-6, 2)} M events/s; goal >= "
            f"{t['goal_rate'] / 1e6:.0f} M: {yes(t['goal_met_rate'])}",
            f"   per live buffer: heap {fmt(t['heap_bytes_per_live'], digits=1)} B, resident "
            f"{fmt(t['rss_bytes_per_live'], digits=1)} B; goal <= {t['goal_bytes']} B: "
            f"{yes(t['goal_met_bytes'])}"]


def attach(a):
    return [f"5. Attach time, process found to probes live, on a {a['library_bytes'] / 1e6:.0f} MB "
            f"library with {a['dynsym_symbols']:,} dynamic symbols",
            f"   warm {fmt(a['warm_s'], digits=3)} s, cold page cache "
            f"{fmt(a['cold_s'], digits=3)} s; symbol resolution alone "
            f"{fmt(a['resolve_s'], digits=3)} s; goal < {a['goal_s']} s: {yes(a['goal_met'])}"]


def placement(cost, survey, live):
    out = ["6. Probe placement"]
    if cost:
        out.append("   uprobe hit, ns, by the instruction it sits on: " + ", ".join(
            f"{k} {v['median']:.0f}" for k, v in cost["ns_per_hit"].items()))
        out.append(f"   emulated (cheap): {', '.join(cost['emulated'])}; everything else "
                   f"is single-stepped")
    if survey:
        rows = []
        for v, o in survey["variants"].items():
            stepped = [f for f in o["functions"] if not f["emulated"]]
            rows.append([v, f"{o['single_stepped']}/{len(o['functions'])}",
                         o["movable_strict"], o["movable_relaxed"],
                         ", ".join(sorted({f["first_text"].split()[0] for f in stepped})) or "-"])
        out += ["   " + l for l in grid(["build", "single-stepped", "movable strict",
                                          "movable relaxed", "stepped first instructions"],
                                         rows)]
    for variant, v in (live or {}).get("variants", {}).items():
        rows = [[k, fmt(r["floor at entry"]), fmt(r["floor at site"]), fmt(r["tracer"]),
                 fmt(r["tracer/site"], digits=2), yes(r["goal_site_met"]),
                 fmt(r["tracer/entry"], digits=2),
                 "-" if r["goal_entry_met"] is None else yes(r["goal_entry_met"])]
                for k, r in v["rows"].items()]
        moved = ", ".join(f"{p} +{s['moved']} ({s['insn']})" for p, s in v["sites"].items()
                          if s["moved"])
        out.append(f"   {variant} build, ns per event ({live['rounds']} rounds); tracer's moved "
                   f"probes: {moved or 'none'}")
        out += ["   " + l for l in grid(["kind", "floor at entry", "floor at site", "tracer",
                                          "tracer/site", "<=1.15", "tracer/entry",
                                          "<=0.35 (stepped entry)"], rows)]
    return out


def goals(r):
    """One line per goal of the issue, from the sections that ran."""
    out = ["Goals"]
    pe = r.get("per_event")
    if pe:
        rows = pe["rows"].values()
        floor_bad = [x["label"] for x in rows
                     if x["tracer_over_floor"]["median"] > GOAL_OVER_FLOOR]
        bt_bad = [x["label"] for x in rows if x["tracer_over_bpftrace"]["median"] >= 1]
        out.append(f"   1. tracer within 1.15x of the floor: "
                   f"{yes(not floor_bad)}{' (' + ', '.join(floor_bad) + ')' if floor_bad else ''}")
        out.append(f"   1. tracer cheaper than bpftrace: "
                   f"{yes(not bt_bad)}{' (' + ', '.join(bt_bad) + ')' if bt_bad else ''}")
    w = r.get("workload")
    if w:
        out.append(f"   2. op loop under 1.05x: {yes(w['goal_met'])} "
                   f"({w['slowdown']['tracer']['median']:.2f}x)")
    e = r.get("event_rate")
    if e:
        out.append(f"   3. zero drops at full speed with the default ring: "
                   f"{yes(e['drops']['max'] == 0)} ({e['rate']['median'] / 1e3:.0f} k events/s)")
    t = r.get("tracker")
    if t:
        out.append(f"   4. >= 5 M events/s: {yes(t['goal_met_rate'])}; <= 128 B per live "
                   f"allocation: {yes(t['goal_met_bytes'])}")
    a = r.get("attach")
    if a:
        out.append(f"   5. attach under 0.5 s: {yes(a['goal_met'])}")
    return out


def stacks(st):
    out = [f"7. --stacks per allocation event on the frame-pointer build, ns per event; median "
           f"[min..max] of {st['rounds']} rounds", f"   goal: {st['goal']}"]
    rows = []
    for key, r in st["rows"].items():
        n = r["ns_per_event"]
        rows.append([key, fmt(n["no stacks"]), fmt(n["fp"]), fmt(n["dwarf"]),
                     fmt(r["dwarf_over_fp"], digits=2), yes(r["goal_met"])])
    out += ["   " + l for l in grid(["event", "no stacks", "fp", "dwarf", "dwarf/fp", "goal"],
                                    rows)]
    return out
