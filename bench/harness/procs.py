"""Running the benchmark programs and the tools that trace them.

A benchmark program (bench/*.cpp, bench/uprobe_cost.c) does its untraced pass,
prints "ready pid=N" and waits for SIGUSR1 (bench/bench_common.h). A tool
attaches to it meanwhile; run_paused() releases the program once the tool
says its probes are live, collects the program's JSON line and the tool's own
result, and checks that the tool saw exactly the events the program raised.
"""
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time

TIMEOUT_S = 120


class BenchError(RuntimeError):
    pass


class Lines:
    """Lines of a pipe, read by a thread, so that waiting for one can time out."""

    def __init__(self, pipe):
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._t.start()

    def _read(self, pipe):
        for line in pipe:
            self.lines.append(line)
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, prefix, timeout=TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if line is None or line.startswith(prefix):
                return line

    def text(self, timeout=TIMEOUT_S):
        self._t.join(timeout)
        return "".join(self.lines)


# Benchmark programs and the tools run at a higher priority than the machine's other work
# (the same for both, so that the tracer's consumer competes with the traced program as in
# a real job): on a shared machine other jobs then disturb the measurements less.
NICE = -10


def _raise_priority():
    os.nice(NICE)


def spawn(cmd, env=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=_raise_priority)
    return proc, Lines(proc.stdout), Lines(proc.stderr)


def stop(proc, sig=signal.SIGKILL):
    """End a process we started (by its own pid), if it still runs."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def last_json(text, what):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise BenchError(f"{what} printed no JSON result:\n{text[-2000:]}")


# ---- the tools --------------------------------------------------------------

class NoTool:
    """The control: attach nothing, so both passes are untraced."""
    name = "control"

    def attach(self, pid):
        pass

    def finish(self):
        return {"events": None}

    def prog_pids(self):
        return []


class _Spawned:
    name = "?"
    attached_prefix = "?"

    def _start(self, cmd):
        self.cmd = cmd
        self.t0 = time.monotonic()
        self.proc, self.out, self.err = spawn(cmd)
        self.attach_s = None
        line = self._wait_attached()
        if line is None:
            stop(self.proc)
            raise BenchError(f"{self.name} did not attach: {' '.join(cmd)}\n"
                             f"{self.out.text(5)[-1000:]}{self.err.text(5)[-2000:]}")
        self.attach_s = time.monotonic() - self.t0

    def _wait_attached(self):
        return self.err.wait_for(self.attached_prefix)

    def prog_pids(self):
        return [self.proc.pid]


class Tracer(_Spawned):
    """ttleak-bpf -p PID, as users run it (plus --json to read its counts)."""
    name = "tracer"
    attached_prefix = "ttleak-bpf: attached"

    def __init__(self, build, extra=()):
        self.build = build
        self.extra = list(extra)

    def attach(self, pid):
        fd, self.json_path = tempfile.mkstemp(prefix="ttleak-bench-", suffix=".json")
        os.close(fd)
        self._start([self.build.tool, "-p", str(pid), "--json", self.json_path, *self.extra])

    def finish(self):
        try:
            self.proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop(self.proc, signal.SIGINT)
        try:
            with open(self.json_path) as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            raise BenchError(f"tracer wrote no report ({e}):\n{self.err.text(5)[-2000:]}")
        finally:
            os.unlink(self.json_path)
        run = report["run"]
        # Not raised by the program: each process's exit, and the event that names
        # where it loaded the device vtables (one per process; the simulated
        # runtime has both vtables).
        exits = sum(1 for p in report["processes"] if p.get("exited"))
        announced = len(report["processes"])
        return {"events": run["events"] - exits - announced,
                "drops": run["drops"]["ringbuf_full"],
                "lost": run.get("lost_or_unreadable", 0), "certified": run["certified"]}


class Floor(_Spawned):
    """bench/floor: counting uprobes at the tracer's offsets, or at given sites."""
    name = "floor"
    attached_prefix = "floor: attached"

    def __init__(self, build, lib=None, offsets=(), funcs=(), record=False):
        self.build = build
        self.lib = lib
        self.record = record
        self.sites = [a for o in offsets for a in ("--offset", hex(o))] + \
                     [a for f in funcs for a in ("--func", f)]

    def attach(self, pid):
        cmd = [self.build.bench("floor"), "-p", str(pid)] + (["--record"] if self.record else [])
        if self.lib:
            cmd += ["--lib", self.lib]
        self._start(cmd + self.sites)

    def finish(self):
        try:
            self.proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop(self.proc, signal.SIGINT)
        res = last_json(self.out.text(), "floor")
        return {"events": res["total"], "probes": res["probes"]}


class Bpftrace(_Spawned):
    """The same tracking as a bpftrace script (bench/ttleak.bt.in)."""
    name = "bpftrace"
    attached_prefix = "bpftrace: attached"

    def __init__(self, script):
        self.script = script

    def _wait_attached(self):
        return self.out.wait_for(self.attached_prefix)

    def attach(self, pid):
        self._start(["bpftrace", "-B", "line", "-p", str(pid), self.script, str(pid)])

    def finish(self):
        # It does not notice the process's exit by itself: Ctrl-C, as a user would.
        stop(self.proc, signal.SIGINT)
        text = self.out.text()
        counts = {m.group(1): int(m.group(2))
                  for m in re.finditer(r"^@(\w+): (\d+)$", text, re.M)}
        if not counts:
            raise BenchError(f"bpftrace printed no counts:\n{text[-1000:]}"
                             f"{self.err.text(5)[-1000:]}")
        return {"events": sum(counts.values()), "counts": counts}


# ---- one traced run ---------------------------------------------------------

def run_paused(cmd, tool, env=None, during=None):
    """Start cmd, attach tool, release cmd; (program result, tool result).

    during(tool) runs after the release while the program runs (e.g. to sample
    BPF statistics) and returns a value stored under "during" in the tool result.
    """
    proc, out, err = spawn(cmd, env)
    try:
        line = out.wait_for("ready pid=")
        if line is None:
            raise BenchError(f"{' '.join(cmd)} never got ready:\n{err.text(5)[-2000:]}")
        pid = int(line.split("=", 1)[1])
        tool.attach(pid)
        # Let a tool that reports "attached" early settle (bpftrace prints from BEGIN).
        time.sleep(0.05)
        os.kill(pid, signal.SIGUSR1)
        sampled = during(tool, proc) if during else None
        proc.wait(timeout=TIMEOUT_S)
        result = last_json(out.text(), cmd[0])
        if proc.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.text(5)[-2000:]}")
        tres = tool.finish()
        tres["attach_s"] = getattr(tool, "attach_s", None)
        if sampled is not None:
            tres["during"] = sampled
    finally:
        stop(proc)
        if getattr(tool, "proc", None) is not None:
            stop(tool.proc, signal.SIGINT)
    seen = tres.get("events")
    if seen is not None and seen != result["expected_events"]:
        tres["count_mismatch"] = f"{tool.name} saw {seen} events, the program raised " \
                                 f"{result['expected_events']}"
    return result, tres
