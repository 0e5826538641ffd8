"""--record then --replay: the event log carries the live run's metadata and its
symbolized allocation stacks, so the replay's JSON and text reports are the live
run's, field by field, apart from what says it is a replay. A log whose metadata is
damaged is refused (exit 2) with a message naming the damage."""
import os

from harness import check, load_report, run_tracer

PARALLEL = True

# (build of the simulated runtime, --stacks mode): frame pointers, and CFI unwinding
# of a stack copy on the release build (no frame pointers, no DWARF).
MODES = (("fp", "--stacks=fp"), ("rel", "--stacks=dwarf"))


def record(build, tmp, gen):
    d = build.sim("e5", gen)
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
    return env, [os.path.join(d, "ttsim_workload"), "--iterations", "2", "--rate", "20",
                 "--leaks", "all"], ["--lib", os.path.join(d, "libtt_metal.so")]


def differences(live, replay, path=""):
    """Every field where two JSON values differ, as paths."""
    if isinstance(live, dict) and isinstance(replay, dict):
        out = [f"{path}/{k}: only in one" for k in set(live) ^ set(replay)]
        for k in set(live) & set(replay):
            out += differences(live[k], replay[k], f"{path}/{k}")
        return out
    if isinstance(live, list) and isinstance(replay, list) and len(live) == len(replay):
        return [d for i, (a, b) in enumerate(zip(live, replay))
                for d in differences(a, b, f"{path}[{i}]")]
    return [] if live == replay else [f"{path}: live {live!r}, replay {replay!r}"]


def scenario_same_report(build, gen, stacks):
    def run(tmp):
        p = {k: os.path.join(tmp, k) for k in ("live.json", "live.txt", "ev.bin",
                                                  "replay.json", "replay.txt")}
        env, cmd, lib = record(build, tmp, gen)
        status, out, err = run_tracer(build, [stacks, "-q", *lib, "--json", p["live.json"],
                                              "-o", p["live.txt"], "--record", p["ev.bin"],
                                              "--", *cmd], env=env)
        live = load_report(p["live.json"], status, out + err)
        check(status == 1 and live["findings"], f"live exit {status}\n{out}{err}")
        sited = [s for f in live["findings"] for s in f["sites"] if "stack_id" in s]
        check(sited and live["stacks"], f"no finding with a stack:\n{out}{err}")
        # Replayed where the recording's paths mean nothing: the log alone.
        rstatus, rout, rerr = run_tracer(build, ["--replay", p["ev.bin"], "--json",
                                                 p["replay.json"], "-o", p["replay.txt"]])
        replay = load_report(p["replay.json"], rstatus, rout + rerr)
        check(rstatus == status, f"replay exit {rstatus}, live {status}\n{rerr}")
        check(replay["run"].pop("replay") == p["ev.bin"] and live["run"].pop("replay") is None,
              "the replay does not name its log")
        diff = differences(live, replay)
        check(not diff, "replay differs from the live run:\n" + "\n".join(diff[:20]))
        with open(p["live.txt"]) as f:
            live_text = f.read().splitlines()
        with open(p["replay.txt"]) as f:
            replay_text = f.read().splitlines()
        check(replay_text[1] == f"  replay of   {p['ev.bin']}", f"{replay_text[:3]}")
        del replay_text[1]
        check(live_text == replay_text, "text reports differ:\n" + "\n".join(
            f"  live:   {a}\n  replay: {b}" for a, b in zip(live_text, replay_text) if a != b))
        check("allocated" in "\n".join(live_text) and " at:" in "\n".join(live_text),
              "the text report shows no allocation stack")
    return f"--replay of a {stacks} recording (e5 {gen}) reports what the live run did", run


def scenario_damaged_metadata(build):
    def run(tmp):
        log = os.path.join(tmp, "ev.bin")
        env, cmd, lib = record(build, tmp, "fp")
        status, out, err = run_tracer(build, ["--stacks=fp", "-q", *lib, "--record", log,
                                              "-o", os.path.join(tmp, "r.txt"), "--", *cmd],
                                      env=env)
        check(status == 1, f"live exit {status}\n{err}")
        with open(log, "rb") as f:
            data = f.read()
        # The last stack's last string: its bytes cut by one.
        cut = os.path.join(tmp, "cut.bin")
        with open(cut, "wb") as f:
            f.write(data[:-1])
        status, out, err = run_tracer(build, ["--replay", cut])
        check(status == 2 and "truncated run metadata" in err, f"exit {status}: {err}")
        # The run entry, first in the section, given a kind this build does not know.
        meta = data.index(b"TTLEAKND") + 8 + 8 + 8 + 4
        bad = os.path.join(tmp, "bad.bin")
        with open(bad, "wb") as f:
            f.write(data[:meta] + b"\x09" + data[meta + 1:])
        status, out, err = run_tracer(build, ["--replay", bad])
        check(status == 2 and "damaged run metadata: unknown entry (kind 9) at byte 0" in err,
              f"exit {status}: {err}")
    return "--replay refuses a log whose run metadata is cut short or damaged (exit 2)", run


def scenarios(build):
    for gen, stacks in MODES:
        yield scenario_same_report(build, gen, stacks)
    yield scenario_damaged_metadata(build)
