"""--metrics-listen: the tracer as a Prometheus exporter. Scraped over HTTP
while the simulated runtime runs under it, every scrape parses with the
reference parser (python3-prometheus-client) with the declared types, and
the counters never go back; once the workload has exited (the tracer still
running), a scrape holds exactly the series and values of the final JSON
report, whose findings equal the runtime's ledger. Only GET /metrics is
served; a bad or busy address exits 2 before anything is traced."""
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import TIMEOUT_S, check, compare_process, load_report
from test_node_exporter import free_port, stop
from test_outputs import (SAMPLE_TYPES, check_series, lib_args, parse_prometheus,
                          prometheus_client_parse, workload)

PARALLEL = True  # run mode: the tracer follows its own command only

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(port, path="/metrics", method="GET"):
    """(status, Content-Type, body) of one request on loopback."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def start(build, tmp, port, labels):
    """The workload under the tracer, in a shell that then waits for GO."""
    done, go = os.path.join(tmp, "DONE"), os.path.join(tmp, "GO")
    script = ('"$@"; s=$?; touch "$DONE"; while [ ! -e "$GO" ]; do sleep 0.05; done; '
              'exit $s')
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"), DONE=done, GO=go)
    cmd = [build.tool, *lib_args(build), "--json", os.path.join(tmp, "r.json"),
           "--metrics-listen", f"127.0.0.1:{port}", "--metrics-labels", ",".join(labels),
           "--", "/bin/sh", "-c", script, "sh", *workload(build, iterations="20", rate="20")]
    log = open(os.path.join(tmp, "tracer.log"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    return proc, done, go


def tracer_log(tmp):
    with open(os.path.join(tmp, "tracer.log")) as f:
        return f.read()


def scrape(port):
    """One scrape, checked for format and types: (samples, body)."""
    status, ctype, body = get(port)
    check(status == 200, f"/metrics: HTTP {status}: {body}")
    check(ctype == "text/plain; version=0.0.4; charset=utf-8", f"Content-Type {ctype}")
    samples, types = parse_prometheus(body, prefix="ttleak_")
    check(types == SAMPLE_TYPES, f"types {types}")
    reference = prometheus_client_parse(body)
    check(reference is not None, "python3-prometheus-client is missing (scripts/install-deps.sh)")
    ref_samples, ref_types = reference
    check(ref_samples == samples, f"prometheus_client reads other samples: {ref_samples}")
    check(ref_types == {re.sub("_total$", "", k): v for k, v in SAMPLE_TYPES.items()},
          f"prometheus_client reads types {ref_types}")
    return samples, body


def counters(samples):
    return {k: v for k, v in samples.items() if k[0].endswith("_total")}


def scrape_until(port, done, proc, tmp):
    """Scrapes while the workload runs; the last after it exited."""
    deadline = time.monotonic() + TIMEOUT_S
    scrapes = []
    while time.monotonic() < deadline:
        check(proc.poll() is None, f"tracer exited early:\n{tracer_log(tmp)}")
        finished = os.path.exists(done)
        try:
            scrapes.append(scrape(port)[0])
        except (ConnectionError, urllib.error.URLError):
            time.sleep(0.05)  # not listening yet: it binds before tracing
            continue
        if finished:
            return scrapes
        time.sleep(0.2)
    raise AssertionError(f"the workload did not finish:\n{tracer_log(tmp)}")


def scenario_scrape(build):
    labels = ("pid", "command")

    def run(tmp):
        port = free_port()
        proc, done, go = start(build, tmp, port, labels)
        try:
            scrapes = scrape_until(port, done, proc, tmp)
            check(get(port, "/")[0] == 404 and get(port, "/metrics", "POST")[0] == 405,
                  "only GET /metrics is served")
        finally:
            open(go, "w").close()
        try:
            status = proc.wait(timeout=TIMEOUT_S)
        finally:
            stop(proc)
        text = tracer_log(tmp)
        report = load_report(os.path.join(tmp, "r.json"), status, text)
        check(status == 1 and report["run"]["certified"], f"exit {status}\n{text}")
        pid = next(p["pid"] for p in report["processes"] if p["devices"])
        compare_process(report, pid, os.path.join(tmp, "ledger.txt"), text)
        # Values moved while the workload ran, and counters never went back.
        events = [s.get(("ttleak_events_total", frozenset()), 0) for s in scrapes]
        check(len(scrapes) >= 3 and len(set(events)) >= 2,
              f"scrapes did not follow the run: events_total {events}")
        for a, b in zip(scrapes, scrapes[1:]):
            went_back = {k: (v, b.get(k)) for k, v in counters(a).items() if b.get(k, 0) < v}
            check(not went_back, f"a counter went back between scrapes: {went_back}")
        check_series(scrapes[-1], SAMPLE_TYPES, report, labels, "the scrape after the workload")
    return "--metrics-listen: scrapes while tracing parse typed; the last equals the report", run


def scenario_bad_address(build):
    def run(tmp):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            for addr, message in ((f"127.0.0.1:{port}", "Address already in use"),
                                  ("127.0.0.1", "expected ADDR:PORT"),
                                  ("::1:9464", "IPv6 address in brackets"),
                                  ("192.0.2.1:9464", "Cannot assign requested address")):
                ledger = os.path.join(tmp, "ledger.txt")
                r = subprocess.run([build.tool, *lib_args(build), "--metrics-listen", addr,
                                    "--", *workload(build)], capture_output=True, text=True,
                                   timeout=TIMEOUT_S, env=dict(os.environ, TTSIM_LEDGER=ledger))
                check(r.returncode == 2 and message in r.stderr,
                      f"{addr}: exit {r.returncode}\n{r.stderr}")
                check(not os.path.exists(ledger), f"{addr}: the command ran")
    return "--metrics-listen: a busy or bad address exits 2 before the command runs", run


def scenarios(build):
    yield scenario_bad_address(build)
    yield scenario_scrape(build)
