"""Live outputs: the Perfetto / Chrome trace (--trace), the OpenMetrics file
(--metrics) and the live view (-i), each checked for format and against the
JSON report of the same run (live and --replay)."""
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


def chip_key(chip_id, device_ptr):
    return str(chip_id) if chip_id is not None else device_ptr


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


# ---- OpenMetrics -------------------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)\}})? (-?[0-9]+(?:\.[0-9]+)?)$")
META = re.compile(rf"^# (TYPE|HELP|UNIT) ({NAME})(?: (.*))?$")
TYPES = ("gauge", "counter", "stateset", "info", "histogram", "gaugehistogram", "summary",
         "unknown")


def parse_openmetrics(text):
    """A strict reading of the OpenMetrics text format for gauges and
    counters; returns {(sample name, frozenset(labels)): value}."""
    check(text.endswith("# EOF\n"), "OpenMetrics text must end with '# EOF\\n'")
    lines = text[:-len("# EOF\n")].split("\n")[:-1]
    families, samples = {}, {}
    family = None
    for n, line in enumerate(lines, 1):
        meta = META.match(line)
        if meta:
            kind, name, rest = meta.groups()
            if family is None or family["name"] != name:
                check(name not in families, f"line {n}: family {name} appears twice")
                family = families[name] = {"name": name, "meta": set(), "samples": 0}
            check(kind not in family["meta"], f"line {n}: second {kind} for {name}")
            check(family["samples"] == 0, f"line {n}: metadata after samples of {name}")
            family["meta"].add(kind)
            if kind == "TYPE":
                check(rest in TYPES, f"line {n}: unknown type {rest}")
                family["type"] = rest
            check(rest, f"line {n}: empty {kind}")
            continue
        check(not line.startswith("#"), f"line {n}: not a valid comment: {line!r}")
        m = SAMPLE.match(line)
        check(m, f"line {n}: not a valid sample: {line!r}")
        name, labels, value = m.groups()
        check(family is not None, f"line {n}: sample before any TYPE")
        suffix = "_total" if family.get("type") == "counter" else ""
        check(name == family["name"] + suffix,
              f"line {n}: sample {name} in family {family['name']} ({family.get('type')})")
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                     labels or ""))
        check((name, pairs) not in samples, f"line {n}: duplicate sample {line!r}")
        samples[(name, pairs)] = float(value)
        family["samples"] += 1
    for f in families.values():
        check({"TYPE", "HELP"} <= f["meta"], f"family {f['name']} lacks TYPE or HELP")
    return samples


def promtool_problems(path):
    """promtool (Debian's prometheus package) lints the Prometheus text format,
    which reads OpenMetrics counters' _total samples as families without help:
    those are expected; anything else is a problem. None without promtool."""
    promtool = shutil.which("promtool")
    if not promtool:
        return None
    with open(path) as f:
        r = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True,
                           text=True, timeout=TIMEOUT_S)
    out = (r.stdout + r.stderr).strip().splitlines()
    problems = [line for line in out if not re.match(rf"^{NAME}_total no help text$", line)]
    if r.returncode not in (0, 3):
        problems.append(f"promtool exit {r.returncode}")
    return problems


def prometheus_client_check(path):
    """The reference OpenMetrics parser, where the system Python has it."""
    py = "/usr/bin/python3"
    code = ("import sys\nfrom prometheus_client.openmetrics.parser import "
            "text_string_to_metric_families as p\nlist(p(open(sys.argv[1]).read()))\n")
    if not os.path.exists(py):
        return None
    r = subprocess.run([py, "-c", code, path], capture_output=True, text=True)
    if "No module named" in r.stderr:
        return None
    return r.returncode == 0, r.stderr


def compare_metrics(path, report, text):
    with open(path) as f:
        samples = parse_openmetrics(f.read())
    problems = promtool_problems(path)
    check(not problems, f"promtool check metrics: {problems}")
    reference = prometheus_client_check(path)
    check(reference is None or reference[0], f"prometheus_client rejects {path}: {reference}")
    got = {}
    for (name, labels), value in samples.items():
        got[(name, tuple(sorted(labels)))] = value
    for p in report["processes"]:
        for d in p["devices"]:
            for row in ROWS:
                labels = (("chip", chip_key(d["chip_id"], d["device_ptr"])),
                          ("command", p["command"] or ""), ("pid", str(p["pid"])), ("type", row))
                mem = d["memory"][row]
                for name, key in (("ttleak_live_bytes", "live_bytes"),
                                  ("ttleak_live_buffers", "live_count"),
                                  ("ttleak_allocations_total", "allocs"),
                                  ("ttleak_frees_total", "frees")):
                    check(got.get((name, labels)) == mem[key],
                          f"{name}{dict(labels)} = {got.get((name, labels))}, report {mem[key]}")
        for kind in FINDING_KINDS:
            want = sum(f["count"] for f in report["findings"]
                       if f["pid"] == p["pid"] and f["kind"] == kind)
            labels = (("command", p["command"] or ""), ("kind", kind), ("pid", str(p["pid"])))
            check(got.get(("ttleak_findings", labels)) == want,
                  f"findings {kind}: {got.get(('ttleak_findings', labels))} != {want}")
    check(got.get(("ttleak_events_total", ())) == report["run"]["events"], "events_total")
    check(got.get(("ttleak_dropped_events_total", (("reason", "ringbuf_full"),))) ==
          report["run"]["drops"]["ringbuf_full"], "dropped_events_total")
    check(not any(n.endswith(".tmp") or ".tmp." in n for n in os.listdir(os.path.dirname(path))),
          f"temporary metrics file left behind: {os.listdir(os.path.dirname(path))}\n{text}")


# ---- scenarios -------------------------------------------------------------

def scenario_files(build):
    def run(tmp):
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        paths = {k: os.path.join(tmp, k) for k in ("r.json", "t.json", "m.prom", "ev.bin")}
        status, out, err = run_tracer(build, [*lib_args(build), "-i", "0.2", "--json",
                                              paths["r.json"], "--trace", paths["t.json"],
                                              "--metrics", paths["m.prom"], "--record",
                                              paths["ev.bin"], "--", *workload(build)], env=env)
        text = out + err
        report = load_report(paths["r.json"], status, text)
        check(status == 1 and report["findings"], f"exit {status}\n{text}")
        compare_trace(paths["t.json"], report, text)
        compare_metrics(paths["m.prom"], report, text)
        # Piped: plain timestamped blocks, no escape sequences.
        check("\033" not in out, f"escape sequences in piped output:\n{out!r}")
        blocks = re.findall(r"^=== ttleak-bpf \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  \+[0-9.]+ s  "
                            r"\d+ events  \d+ dropped ===$", out, re.M)
        check(len(blocks) >= 2, f"expected live view blocks every 0.2 s:\n{out}")
        check(re.search(r"^\s+DRAM\s+\d+\s+", out, re.M) and "findings so far:" in out,
              f"live view lacks its table:\n{out}")
        # The same events replayed give the same trace and metrics.
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
        for opt in ("--interval", "--trace", "--metrics"):
            check(opt in out, f"--help does not document {opt}")
        for bad in (["-i", "0", "-p", "1"], ["-i", "x", "-p", "1"],
                    ["--replay", "x.bin", "-i", "1"], ["--list-probes", "--lib", "x",
                                                       "--trace", "t.json"]):
            status, out, err = run_tracer(build, bad)
            check(status == 2, f"{bad}: exit {status}, expected 2: {err}")
    return "-i, --trace, --metrics: documented, bad values rejected (exit 2)", run


def scenarios(build):
    yield scenario_files(build)
    yield scenario_tty(build)
    yield scenario_options(build)
