"""Shared pieces of the end-to-end tests: the ledger reader, the tracer's
report reader, and running a paused workload under the tracer.

A scenario module (tests/e2e/test_*.py) defines scenarios(build), yielding
(name, run) pairs; run(tmp) raises Failure (via check) when it fails.
"""
import collections
import json
import os
import signal
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Release builds of the simulated runtime, a 2026 and a 2025 era (tests/sim/README.md),
# with the era each one's exported names point to. Both still show the seeds' CB tracking
# leak (2026-04's E5 reports CB deallocation; test_eras.py covers it).
GENERATIONS = ("e4/rel", "e2/rel")
ERA_OF = {"e4/rel": "E3-E5", "e2/rel": "E1-E2"}
LEAK_SWITCHES = ("none", "cb_tracking", "kernel_binary", "cache_callback", "all")
TIMEOUT_S = 60

# Ledger categories and the tracer's finding kinds are the same words.
LEAK_CATEGORIES = ("cb_tracking", "reclaimed_at_close", "never_freed")


class Failure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


# ---- the ledger ------------------------------------------------------------

def parse_fields(line):
    words = line.split()
    return words[0], dict(w.split("=", 1) for w in words[1:] if "=" in w)


def read_ledger(path):
    """Expected findings since the mark (the moment the tracer was attached).
    Devices are named as the ledger names them: "chip:N" or "mesh:M"."""
    leaks = collections.Counter()
    summaries = {}
    closes = collections.defaultdict(list)
    ended = marked = False
    with open(path) as f:
        for line in f:
            kind, kv = parse_fields(line)
            if kind == "leak" and kv["scope"] == "since_mark":
                key = (kv["category"], kv["dev"], kv["type"], int(kv["addr"]),
                       int(kv["size"]))
                leaks[key] += int(kv["count"])
            elif kind == "summary" and kv["scope"] == "since_mark":
                summaries[(kv["category"], kv["dev"], kv["type"])] = (
                    int(kv["count"]), int(kv["bytes"]))
            elif kind == "mark":
                marked = True
            elif kind == "device_close" and marked:  # the tracer sees closes after attach
                closes[kv["dev"]].append(int(kv["tracking_live_since_mark"]))
            elif kind == "end":
                ended = True
    check(ended, f"{path}: ledger has no 'end' line: the workload did not finish cleanly")
    return leaks, summaries, closes


def read_meshes(path):
    """Mesh id -> the chips it spans, from the ledger's 'mesh' lines."""
    meshes = {}
    with open(path) as f:
        for line in f:
            kind, kv = parse_fields(line)
            if kind == "mesh":
                meshes[int(kv["id"])] = sorted(int(c) for c in kv["chips"].split(",") if c)
    return meshes


def expected_growth(closes):
    """Series the tracer must report: every close after the mark, rising."""
    growth = {}
    for dev, series in closes.items():
        if len(series) >= 3 and all(b > a for a, b in zip(series, series[1:])):
            growth[dev] = series
    return growth


# ---- the tracer's report ---------------------------------------------------

def device_name(entry):
    """A report's device as the ledger names it."""
    if entry["device_kind"] == "chip":
        return f"chip:{entry['chip_id']}"
    if entry["device_kind"] == "mesh":
        return f"mesh:{entry['mesh_id']}"
    return f"unknown:{entry['device_ptr']}"


def reported_leaks(report, pid=None):
    found = collections.Counter()
    for f in report["findings"]:
        if f["kind"] not in LEAK_CATEGORIES or (pid is not None and f["pid"] != pid):
            continue
        for s in f["sites"]:
            found[(f["kind"], device_name(f), f["type"], s["address"], s["size"])] += s["count"]
    return found


def reported_growth(report, pid=None):
    return {device_name(f): f["series"] for f in report["findings"]
            if f["kind"] == "growth" and (pid is None or f["pid"] == pid)}


def check_meshes(report, pid, ledger):
    """Every mesh the tracer names has the ledger's id, and the chips it
    reports (seen in CB fan-outs) are the mesh's chips."""
    meshes = read_meshes(ledger)
    for d in process_entry(report, pid)["devices"]:
        if d["device_kind"] == "unknown":
            raise Failure(f"pid {pid}: a device of unknown class: {d}")
        if d["device_kind"] != "mesh":
            continue
        check(d["mesh_id"] in meshes, f"pid {pid}: mesh {d['mesh_id']} not in the ledger {meshes}")
        if d["mesh_chips"]:
            check(d["mesh_chips"] == meshes[d["mesh_id"]],
                  f"pid {pid}: mesh {d['mesh_id']} chips {d['mesh_chips']} != ledger "
                  f"{meshes[d['mesh_id']]}")


def anomalies(report):
    return [f for f in report["findings"] if f["kind"] == "anomaly"]


def process_entry(report, pid):
    for p in report["processes"]:
        if p["pid"] == pid:
            return p
    raise Failure(f"no process {pid} in the report: {[p['pid'] for p in report['processes']]}")


# ---- processes -------------------------------------------------------------

class Build:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.tool = os.path.join(self.root, "ttleak-bpf")

    def sim(self, gen, name):
        return os.path.join(self.root, "sim", gen, name)


def start_paused(cmd, env):
    """Start a workload and wait for 'paused pid=N' on its stdout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("paused pid="):
            return proc
    proc.kill()
    out, err = proc.communicate()
    raise Failure(f"workload never paused: {' '.join(cmd)}\nstderr: {err}")


def start_tracer(build, pid, json_path, extra=()):
    """Attach and wait until the tracer says its probes are live."""
    cmd = [build.tool, "-p", str(pid), "--json", json_path, *extra]
    tracer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        line = tracer.stderr.readline()
        if not line:
            break
        if "attached" in line:
            return tracer
    tracer.kill()
    out, err = tracer.communicate()
    raise Failure(f"tracer did not attach: {' '.join(cmd)}\nstdout: {out}\nstderr: {err}")


def finish(proc, what):
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure(f"{what} did not finish in {TIMEOUT_S} s\nstderr: {err}")
    return proc.returncode, out, err


def traced_run(build, workload_cmd, tmp, extra_tracer_args=()):
    """Run a paused workload under the tracer; return (exit, report, ledger path, text)."""
    ledger = os.path.join(tmp, "ledger.txt")
    report_path = os.path.join(tmp, "report.json")
    env = dict(os.environ, TTSIM_LEDGER=ledger)
    work = start_paused(workload_cmd, env)
    tracer = start_tracer(build, work.pid, report_path, extra_tracer_args)
    os.kill(work.pid, signal.SIGUSR1)
    wstatus, _, werr = finish(work, "workload")
    check(wstatus == 0, f"workload failed ({wstatus}): {werr}")
    status, text, terr = finish(tracer, "tracer")
    check(os.path.exists(report_path), f"no JSON report (exit {status}): {terr}")
    with open(report_path) as f:
        report = json.load(f)
    return status, report, ledger, text + terr


def compare_process(report, pid, ledger, text):
    """One process's findings against its ledger; returns the expected leaks."""
    leaks, summaries, closes = read_ledger(ledger)
    found = reported_leaks(report, pid)
    missing = leaks - found
    extra = found - leaks
    check(not missing and not extra,
          f"pid {pid}: findings differ from the ledger\n  missed: {dict(missing)}\n"
          f"  false: {dict(extra)}\n{text}")
    check(reported_growth(report, pid) == expected_growth(closes),
          f"pid {pid}: growth {reported_growth(report, pid)} != ledger {expected_growth(closes)}")
    check_meshes(report, pid, ledger)
    pre = [v for (cat, _, _), v in summaries.items() if cat == "pre_mark_free"]
    pre_count, pre_bytes = sum(c for c, _ in pre), sum(b for _, b in pre)
    proc = process_entry(report, pid)
    check((proc["pre_attach_frees"], proc["pre_attach_free_bytes"]) == (pre_count, pre_bytes),
          f"pre-attach frees {proc['pre_attach_frees']} ({proc['pre_attach_free_bytes']} B) "
          f"!= ledger {pre_count} ({pre_bytes} B)")
    return leaks, expected_growth(closes)


def compare_with_ledger(status, report, ledger, text):
    """A single-process run: findings, anomalies, certification and exit code."""
    check(len(report["processes"]) == 1, f"expected one process: {report['processes']}")
    leaks, growth = compare_process(report, report["processes"][0]["pid"], ledger, text)
    check(not anomalies(report), f"unexpected anomalies: {anomalies(report)}")
    check(report["run"]["certified"], f"run not certified: {report['run']}\n{text}")
    want = 1 if (leaks or growth) else 0
    check(status == want, f"exit {status}, expected {want}\n{text}")
    return leaks




def run_tracer(build, args, env=None, stdin=None, timeout=TIMEOUT_S):
    """Run ttleak-bpf to completion; returns (exit, stdout, stderr)."""
    r = subprocess.run([build.tool, *args], capture_output=True, text=True, env=env,
                       input=stdin, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def load_report(path, status, text):
    check(os.path.exists(path), f"no JSON report (exit {status}):\n{text}")
    with open(path) as f:
        return json.load(f)
