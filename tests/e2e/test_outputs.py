"""Live outputs: the Perfetto / Chrome trace (--trace), the Prometheus text
file (--metrics, also as the real node_exporter serves it) and the live view
(-i), each checked for format and against the JSON report of the same run
(live and --replay)."""
import json
import os
import pty
import re
import select
import shutil
import subprocess

from harness import TIMEOUT_S, check, load_report, run_tracer

ROWS = ("DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE", "CB")
FINDING_KINDS = ("cb_tracking", "reclaimed_at_close", "never_freed", "growth", "anomaly")


def workload(build, leaks="all", iterations="12", rate="20"):
    return [build.sim("e5/rel", "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--iterations", iterations, "--rate", rate, "--leaks", leaks]


def lib_args(build):
    return ["--lib", build.sim("e5/rel", "libtt_metal.so")]


# ---- the trace -------------------------------------------------------------

REQUIRED = {
    "C": ("name", "pid", "tid", "ts", "args"),
    "b": ("name", "cat", "id", "pid", "tid", "ts"),
    "e": ("name", "cat", "id", "pid", "tid", "ts"),
    "i": ("name", "pid", "tid", "ts", "s"),
    "M": ("name", "pid", "args"),
}


def check_trace(path):
    """Trace-event JSON Object Format; returns the last counter values per track."""
    with open(path) as f:
        trace = json.load(f)
    check(isinstance(trace, dict) and isinstance(trace.get("traceEvents"), list),
          f"{path}: not a JSON object with a traceEvents array")
    check(trace.get("displayTimeUnit") in ("ms", "ns"), f"displayTimeUnit: {trace.keys()}")
    last, begun, ended = {}, {}, {}
    for ev in trace["traceEvents"]:
        ph = ev.get("ph")
        check(ph in REQUIRED, f"unexpected phase in {ev}")
        missing = [k for k in REQUIRED[ph] if k not in ev]
        check(not missing, f"{ph} event without {missing}: {ev}")
        if "ts" in ev:
            check(isinstance(ev["ts"], (int, float)) and ev["ts"] >= 0, f"bad ts: {ev}")
        if ph == "C":
            check(all(isinstance(v, int) and v >= 0 for v in ev["args"].values()), f"{ev}")
            key = (ev["pid"], ev["name"])
            if key not in last or ev["ts"] >= last[key][0]:
                last[key] = (ev["ts"], ev["args"])
        elif ph in "be":
            (begun if ph == "b" else ended)[(ev["pid"], ev["id"])] = ev["ts"]
        elif ph == "i":
            check(ev["s"] in ("g", "p", "t"), f"instant scope: {ev}")
    check(begun.keys() == ended.keys(), "program spans: b and e do not pair up")
    check(all(ended[k] >= begun[k] for k in begun), "a program ends before it begins")
    return trace, {k: v[1] for k, v in last.items()}


def expected_counters(report):
    want = {}
    for p in report["processes"]:
        for d in p["devices"]:
            name = "live bytes " + (f"chip {d['chip_id']}" if d["chip_id"] is not None
                                    else f"dev {d['device_ptr']}")
            want[(p["pid"], name)] = {row: d["memory"][row]["live_bytes"] for row in ROWS}
    return want


def compare_trace(path, report, text):
    trace, last = check_trace(path)
    want = expected_counters(report)
    check(last == want, f"final trace counters {last}\n != JSON report {want}\n{text}")
    phases = {ev["ph"] for ev in trace["traceEvents"]}
    check({"C", "b", "e", "i", "M"} <= phases, f"trace lacks event kinds: {phases}")
    finding_events = {ev["args"]["kind"] for ev in trace["traceEvents"] if ev["ph"] == "i"}
    reported = {f["kind"] for f in report["findings"]}
    check(finding_events == reported, f"finding events {finding_events} != report {reported}")
    return trace


# ---- the Prometheus text format ---------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
# Values as the tracer writes them (integers) and as Go writes floats (1.2e+06).
VALUE = r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-][0-9]+)?"
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)\}})? ({VALUE})$")
META = re.compile(rf"^# (TYPE|HELP) ({NAME})(?: (.*))?$")
TYPES = ("gauge", "counter", "histogram", "summary", "untyped")


def unescape(value):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_prometheus(text, prefix=""):
    """A strict reading of the Prometheus text format 0.0.4 (what
    node_exporter's textfile collector reads) for gauges and counters: HELP
    and TYPE name the samples themselves, counters included. Only families
    starting with prefix are kept (a node_exporter scrape has its own).
    Returns ({(sample name, frozenset(labels)): value}, {name: type})."""
    check(text.endswith("\n") and "# EOF" not in text, "not the Prometheus text format")
    families, samples, types = {}, {}, {}
    family = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if not line.startswith(prefix) and not line.startswith("# "):
            continue
        meta = META.match(line)
        if meta:
            kind, name, rest = meta.groups()
            if not name.startswith(prefix):
                continue
            if family is None or family["name"] != name:
                check(name not in families, f"line {n}: family {name} appears twice")
                family = families[name] = {"name": name, "meta": set(), "samples": 0}
            check(kind not in family["meta"], f"line {n}: second {kind} for {name}")
            check(family["samples"] == 0, f"line {n}: metadata after samples of {name}")
            family["meta"].add(kind)
            if kind == "TYPE":
                check(rest in TYPES, f"line {n}: unknown type {rest}")
                types[name] = rest
            check(rest, f"line {n}: empty {kind}")
            continue
        check(not line.startswith("#"), f"line {n}: not a valid comment: {line!r}")
        m = SAMPLE.match(line)
        check(m, f"line {n}: not a valid sample: {line!r}")
        name, labels, value = m.groups()
        check(family is not None and name == family["name"],
              f"line {n}: sample {name} outside its family ({family and family['name']})")
        pairs = frozenset((k, unescape(v)) for k, v in
                          re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                     labels or ""))
        check((name, pairs) not in samples, f"line {n}: duplicate sample {line!r}")
        samples[(name, pairs)] = float(value)
        family["samples"] += 1
    for f in families.values():
        check({"TYPE", "HELP"} <= f["meta"], f"family {f['name']} lacks TYPE or HELP")
    return samples, types


def promtool_problems(path):
    """promtool (Debian's prometheus package) lints the Prometheus text
    format; every line it prints is a problem. None without promtool."""
    promtool = shutil.which("promtool")
    if not promtool:
        return None
    with open(path) as f:
        r = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True,
                           text=True, timeout=TIMEOUT_S)
    problems = (r.stdout + r.stderr).strip().splitlines()
    if r.returncode != 0:
        problems.append(f"promtool exit {r.returncode}")
    return problems


PROMETHEUS_CLIENT = r"""
import json, sys
from prometheus_client.parser import text_string_to_metric_families as parse
out = {"types": {}, "samples": []}
for fam in parse(sys.stdin.read()):
    if fam.name.startswith(sys.argv[1]):
        out["types"][fam.name] = fam.type
        out["samples"] += [[s.name, s.labels, s.value] for s in fam.samples]
json.dump(out, sys.stdout)
"""


def prometheus_client_parse(text, prefix="ttleak_"):
    """The reference parser of the Prometheus text format (python3-prometheus-client),
    where the system Python has it: ({(name, frozenset(labels)): value}, {family: type}),
    or None without it. It names counter families without _total."""
    py = "/usr/bin/python3"
    if not os.path.exists(py):
        return None
    r = subprocess.run([py, "-c", PROMETHEUS_CLIENT, prefix], input=text, capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    if "No module named" in r.stderr:
        return None
    check(r.returncode == 0, f"prometheus_client rejects the metrics:\n{r.stderr}")
    out = json.loads(r.stdout)
    return ({(n, frozenset(labels.items())): v for n, labels, v in out["samples"]},
            out["types"])


# Sample name -> the JSON report's field per device and type.
DEVICE_SAMPLES = (("ttleak_live_bytes", "live_bytes"), ("ttleak_live_buffers", "live_count"),
                  ("ttleak_allocations_total", "allocs"), ("ttleak_frees_total", "frees"))
SAMPLE_TYPES = {"ttleak_live_bytes": "gauge", "ttleak_live_buffers": "gauge",
                "ttleak_allocations_total": "counter", "ttleak_frees_total": "counter",
                "ttleak_findings": "gauge", "ttleak_finding_bytes": "gauge",
                "ttleak_dropped_events_total": "counter", "ttleak_events_total": "counter"}


def device_label(d):
    """The device's label as the tracer writes it: its id, else its pointer."""
    if d["device_kind"] == "chip" and d["chip_id"] is not None:
        return ("chip", str(d["chip_id"]))
    if d["device_kind"] == "mesh" and d["mesh_id"] is not None:
        return ("mesh", str(d["mesh_id"]))
    return ("device", d["device_ptr"])


def expected_metrics(report, labels=()):
    """Every series the tracer writes for report, with the per-process labels
    asked for (--metrics-labels): processes with the same labels summed."""
    want = {}

    def add(name, pairs, value):
        key = (name, frozenset(pairs))
        want[key] = want.get(key, 0) + value

    for p in report["processes"]:
        proc = []
        if "pid" in labels:
            proc.append(("pid", str(p["pid"])))
        if "command" in labels:
            proc.append(("command", p["command"] or ""))
        for d in p["devices"]:
            for row in ROWS:
                for name, key in DEVICE_SAMPLES:
                    add(name, [*proc, device_label(d), ("type", row)], d["memory"][row][key])
        for kind in FINDING_KINDS:
            found = [f for f in report["findings"] if f["pid"] == p["pid"] and f["kind"] == kind]
            add("ttleak_findings", [*proc, ("kind", kind)], sum(f["count"] for f in found))
            add("ttleak_finding_bytes", [*proc, ("kind", kind)], sum(f["bytes"] for f in found))
    add("ttleak_events_total", [], report["run"]["events"])
    add("ttleak_dropped_events_total", [("reason", "ringbuf_full")],
        report["run"]["drops"]["ringbuf_full"])
    return want


def check_series(got, types, report, labels, where):
    """got (parsed samples of the ttleak_ families) is exactly the report's
    series, each of its declared type."""
    want = expected_metrics(report, labels)
    check(set(got) == set(want),
          f"{where}: series differ from the report\n  missing: {sorted(set(want) - set(got))}\n"
          f"  extra: {sorted(set(got) - set(want))}")
    wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    check(not wrong, f"{where}: values differ from the report (got, want): {wrong}")
    check(types == SAMPLE_TYPES, f"{where}: types {types} != {SAMPLE_TYPES}")


def compare_metrics(path, report, text, labels=()):
    with open(path) as f:
        content = f.read()
    samples, types = parse_prometheus(content)
    check_series(samples, types, report, labels, path)
    problems = promtool_problems(path)
    check(not problems, f"promtool check metrics: {problems}")
    reference = prometheus_client_parse(content)
    if reference is not None:
        ref_samples, ref_types = reference
        check(ref_samples == samples, f"prometheus_client reads other samples: {ref_samples}")
        # Its families are named without _total; the types must survive.
        check(ref_types == {re.sub("_total$", "", k): v for k, v in SAMPLE_TYPES.items()},
              f"prometheus_client reads types {ref_types}")
    check(not any(n.endswith(".tmp") or n.startswith(".") for n in
                  os.listdir(os.path.dirname(path))),
          f"temporary metrics file left behind: {os.listdir(os.path.dirname(path))}\n{text}")


# ---- scenarios -------------------------------------------------------------

def scenario_files(build):
    def run(tmp):
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        paths = {k: os.path.join(tmp, k) for k in ("r.json", "t.json", "m.prom", "ev.bin")}
        status, out, err = run_tracer(build, [*lib_args(build), "-i", "0.2", "--json",
                                              paths["r.json"], "--trace", paths["t.json"],
                                              "--metrics", paths["m.prom"], "--metrics-labels",
                                              "pid,command", "--record", paths["ev.bin"], "--",
                                              *workload(build)], env=env)
        text = out + err
        report = load_report(paths["r.json"], status, text)
        check(status == 1 and report["findings"], f"exit {status}\n{text}")
        compare_trace(paths["t.json"], report, text)
        compare_metrics(paths["m.prom"], report, text, labels=("pid", "command"))
        # Piped: plain timestamped blocks, no escape sequences.
        check("\033" not in out, f"escape sequences in piped output:\n{out!r}")
        blocks = re.findall(r"^=== ttleak-bpf \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  \+[0-9.]+ s  "
                            r"\d+ events  \d+ dropped ===$", out, re.M)
        check(len(blocks) >= 2, f"expected live view blocks every 0.2 s:\n{out}")
        check(re.search(r"^\s+DRAM\s+\d+\s+", out, re.M) and "findings so far:" in out,
              f"live view lacks its table:\n{out}")
        # The same events replayed give the same trace and metrics (here
        # without per-process labels: summed by device).
        for k in ("r.json", "t.json", "m.prom"):
            os.rename(paths[k], paths[k] + ".live")
        status, out, err = run_tracer(build, ["--replay", paths["ev.bin"], "--json",
                                              paths["r.json"], "--trace", paths["t.json"],
                                              "--metrics", paths["m.prom"]])
        replayed = load_report(paths["r.json"], status, out + err)
        check(status == 1, f"replay exit {status}\n{out}{err}")
        compare_trace(paths["t.json"], replayed, out + err)
        compare_metrics(paths["m.prom"], replayed, out + err)
    return "--trace, --metrics and piped -i agree with the JSON report, live and replayed", run


def read_pty(master, proc):
    data = b""
    while True:
        ready, _, _ = select.select([master], [], [], TIMEOUT_S)
        check(ready, "no output from the tracer on its terminal")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        data += chunk
    proc.wait(timeout=TIMEOUT_S)
    return data.decode(errors="replace")


def scenario_tty(build):
    def run(tmp):
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        master, slave = pty.openpty()
        proc = subprocess.Popen([build.tool, *lib_args(build), "-q", "-i", "0.2", "--",
                                 *workload(build)], stdout=slave, stderr=subprocess.PIPE,
                                env=env)
        os.close(slave)
        try:
            out = read_pty(master, proc)
        finally:
            os.close(master)
        check(proc.returncode == 1, f"exit {proc.returncode}\n{out}")
        check(out.count("\033[H") >= 2 and "\033[2J" in out and "\033[K" in out,
              f"no in-place redraw on a terminal:\n{out!r}")
        check("ttleak-bpf report" in out, "the final report is missing")
    return "-i on a terminal redraws in place (ANSI home, erase)", run


def scenario_options(build):
    def run(tmp):
        status, out, err = run_tracer(build, ["--help"])
        for opt in ("--interval", "--trace", "--metrics", "--metrics-labels"):
            check(opt in out, f"--help does not document {opt}")
        for bad in (["-i", "0", "-p", "1"], ["-i", "x", "-p", "1"],
                    ["--replay", "x.bin", "-i", "1"], ["--list-probes", "--lib", "x",
                                                       "--trace", "t.json"],
                    ["-p", "1", "--metrics", "m.prom", "--metrics-labels", "tid"],
                    ["-p", "1", "--metrics", "m.prom", "--metrics-labels", "none,pid"],
                    ["-p", "1", "--metrics-labels", "pid"]):
            status, out, err = run_tracer(build, bad)
            check(status == 2, f"{bad}: exit {status}, expected 2: {err}")
    return "-i, --trace, --metrics, --metrics-labels: documented, bad values rejected (exit 2)", run


def scenarios(build):
    yield scenario_files(build)
    yield scenario_tty(build)
    yield scenario_options(build)
