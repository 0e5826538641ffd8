"""A real consumer of --metrics: Debian's prometheus-node-exporter (1.5),
its textfile collector reading the tracer's file, scraped over HTTP. Every
ttleak series must arrive with its type (none 'untyped') and the values of
the tracer's JSON report. Needs the prometheus-node-exporter package
(scripts/install-deps.sh installs it); the service is not used, the binary
runs on a free loopback port for the scenario only."""
import os
import shutil
import socket
import subprocess
import time
import urllib.request

from harness import TIMEOUT_S, Failure, check, load_report, run_tracer
from test_outputs import (SAMPLE_TYPES, check_series, lib_args, parse_prometheus,
                          prometheus_client_parse, workload)

PARALLEL = True  # run mode: the tracer follows its own command only

EXPORTER = "prometheus-node-exporter"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port):
    """GET /metrics on loopback, bypassing any proxy of the environment."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        check(r.status == 200, f"/metrics: HTTP {r.status}")
        return r.headers.get("Content-Type", ""), r.read().decode()


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_exporter(binary, textfile_dir, log_path):
    """The exporter serving only the textfile collector: (process, port) once
    /metrics answers. A port taken meanwhile by someone else is retried."""
    for _ in range(3):
        port = free_port()
        with open(log_path, "w") as log:
            proc = subprocess.Popen([binary, f"--collector.textfile.directory={textfile_dir}",
                                     f"--web.listen-address=127.0.0.1:{port}",
                                     "--collector.disable-defaults", "--collector.textfile"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                fetch(port)
                return proc, port
            except OSError:  # not listening yet
                time.sleep(0.1)
        stop(proc)
    with open(log_path) as f:
        raise Failure(f"{binary} never served /metrics:\n{f.read()}")


def without_empty_labels(samples):
    """An empty label value is no label (node_exporter may add them)."""
    return {(n, frozenset((k, v) for k, v in labels if v != "")): value
            for (n, labels), value in samples.items()}


def scenario_node_exporter(build):
    def run(tmp):
        # make e2e-test unpacks Debian's package into the build tree (not installed:
        # the package would start a service); an installed one serves as well.
        binary = os.path.join(build.root, "test-tools", "usr", "bin", EXPORTER)
        if not os.path.exists(binary):
            binary = shutil.which(EXPORTER) or "/usr/bin/" + EXPORTER
        check(os.path.exists(binary), f"{EXPORTER} not found: run scripts/test-tools.sh "
              f"{os.path.join(build.root, 'test-tools')}")
        textfile_dir = os.path.join(tmp, "textfile")
        os.mkdir(textfile_dir)
        report_path = os.path.join(tmp, "r.json")
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        status, out, err = run_tracer(build, [*lib_args(build), "--json", report_path,
                                              "--metrics", os.path.join(textfile_dir,
                                                                        "ttleak.prom"),
                                              "--", *workload(build)], env=env)
        text = out + err
        report = load_report(report_path, status, text)
        check(status == 1 and report["findings"], f"exit {status}\n{text}")
        check(os.listdir(textfile_dir) == ["ttleak.prom"],
              f"the textfile directory holds {os.listdir(textfile_dir)}")
        proc, port = start_exporter(binary, textfile_dir, os.path.join(tmp, "exporter.log"))
        try:
            content_type, body = fetch(port)
        finally:
            stop(proc)
        check("text/plain" in content_type and "version=0.0.4" in content_type,
              f"/metrics Content-Type: {content_type}")
        samples, types = parse_prometheus(body, prefix="ttleak_")
        untyped = [line for line in body.splitlines()
                   if line.startswith("# TYPE ttleak_") and line.endswith(" untyped")]
        check(not untyped, f"node_exporter serves ttleak series untyped: {untyped}")
        check_series(without_empty_labels(samples), types, report, (), "node_exporter /metrics")
        # The collector read the file without error.
        node, _ = parse_prometheus(body, prefix="node_textfile_")
        check(node.get(("node_textfile_scrape_error", frozenset())) == 0,
              f"node_textfile_scrape_error: {node}")
        mtime = [k for k in node if k[0] == "node_textfile_mtime_seconds"]
        check(mtime and all(dict(k[1]).get("file", "").endswith("ttleak.prom") for k in mtime),
              f"node_textfile_mtime_seconds: {mtime}")
        # The reference parser reads the scrape the same way, types included.
        reference = prometheus_client_parse(body)
        if reference is not None:
            ref_samples, ref_types = reference
            check(without_empty_labels(ref_samples) == without_empty_labels(samples),
                  "prometheus_client reads other samples from the scrape")
            check(set(ref_types.values()) <= {"gauge", "counter"} and
                  len(ref_types) == len(SAMPLE_TYPES), f"prometheus_client types: {ref_types}")
    return "node_exporter's textfile collector serves every --metrics series typed, " \
           "with the JSON report's values", run


def scenarios(build):
    yield scenario_node_exporter(build)
