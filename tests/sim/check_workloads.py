#!/usr/bin/env python3
"""End-to-end checks of the two workloads against their ledgers, for both generations:
leak switches make tracking_live grow across three device closes, clean runs leave no leak
line, and pause/SIGUSR1, SIGTERM, --skip-close, late library loading and bad options behave
as README.md says. Python stdlib only.

Usage: check_workloads.py --build BUILD/sim   (the directory holding gen2026/ and gen2025/)
Prints one line per check and 'N passed, N failed'; exits 1 if any failed.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60  # seconds for any one workload run: a hang fails loudly


class CheckFailed(Exception):
    pass


def workload_env(extra=None):
    """The caller's environment without TTSIM_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTSIM_")}
    env.update(extra or {})
    return env


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def parse_ledger(path):
    """[(kind, {key: value})] for every line of a ledger."""
    lines = []
    with open(path) as f:
        for text in f:
            words = text.split()
            if not words:
                continue
            fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            lines.append((words[0], fields))
    return lines


def of(ledger, kind, **where):
    return [f for k, f in ledger if k == kind and all(f.get(key) == str(v) for key, v in where.items())]


def tracking_live(ledger, dev, field="tracking_live"):
    return [int(f[field]) for f in of(ledger, "device_close", dev=dev)]


def assert_complete(ledger, leaks):
    expect(ledger and ledger[0][0] == "ttsim-ledger", "ledger starts with its header")
    expect(ledger[0][1].get("leaks") == leaks, f"header leaks={leaks}, got {ledger[0][1].get('leaks')}")
    expect(ledger[-1][0] == "end", "ledger ends with 'end'")


def assert_clean(ledger, devices, closes):
    assert_complete(ledger, "none")
    expect(not of(ledger, "leak") and not of(ledger, "summary") and not of(ledger, "reclaim"),
           "a clean run has no leak, summary or reclaim line")
    expect(len(of(ledger, "alloc")) == len(of(ledger, "free")), "every allocation freed")
    for dev in range(devices):
        expect(tracking_live(ledger, dev) == [0] * closes, f"dev {dev} tracking_live 0 at each close")


def assert_grows(ledger, devices, per_close):
    for dev in range(devices):
        live = tracking_live(ledger, dev)
        expect(live == [per_close * (i + 1) for i in range(3)],
               f"dev {dev} tracking_live {per_close}, {2 * per_close}, {3 * per_close}; got {live}")


class Runner:
    def __init__(self, build, gen):
        self.gen = gen
        self.workload = os.path.join(build, f"gen{gen}", "ttsim_workload")
        self.ttnn = os.path.join(build, f"gen{gen}", "libttnn_sim.so")
        self.tmp = tempfile.mkdtemp(prefix=f"ttsim-check-{gen}-")
        self.n = 0

    def ledger_path(self):
        self.n += 1
        return os.path.join(self.tmp, f"ledger{self.n}.txt")

    def cxx(self, *args, env=None):
        return [self.workload, *args], env

    def py(self, *args, env=None):
        return [sys.executable, os.path.join(HERE, "workload.py"), "--lib", self.ttnn, *args], env

    @staticmethod
    def run(cmd_env, expect_rc=0):
        cmd, env = cmd_env
        p = subprocess.run(cmd, env=workload_env(env), capture_output=True, text=True, timeout=TIMEOUT)
        expect(p.returncode == expect_rc, f"{' '.join(cmd)}: exit {p.returncode}, wanted {expect_rc}: {p.stderr}")
        return p

    @staticmethod
    def start_paused(cmd_env):
        """Starts a workload and waits for its 'paused pid=<pid>' line."""
        cmd, env = cmd_env
        p = subprocess.Popen(cmd, env=workload_env(env), stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline().strip()
        expect(line == f"paused pid={p.pid}", f"'paused pid={p.pid}' printed, got {line!r}")
        return p

    @staticmethod
    def maps(pid):
        with open(f"/proc/{pid}/maps") as f:
            return f.read()


def checks(r):
    """(name, function) for every check of one generation."""
    def cxx_clean():
        path = r.ledger_path()
        r.run(r.cxx("--ledger", path))
        assert_clean(parse_ledger(path), devices=2, closes=3)

    def cxx_each_switch():
        # Per device and close: 2 programs -> 6 CBs, 2 kernel binaries, 2 callback buffers.
        for leaks, per_close, categories in (
            ("cb_tracking", 6, {"cb_tracking"}),
            ("kernel_binary", 2, {"reclaimed_at_close"}),
            ("cache_callback", 2, {"reclaimed_at_close"}),
            ("all", 10, {"cb_tracking", "reclaimed_at_close"}),
        ):
            path = r.ledger_path()
            r.run(r.cxx("--leaks", leaks, "--ledger", path))
            ledger = parse_ledger(path)
            assert_complete(ledger, "cb_tracking,kernel_binary,cache_callback" if leaks == "all" else leaks)
            assert_grows(ledger, devices=2, per_close=per_close)
            found = {f["category"] for f in of(ledger, "leak")}
            expect(found == categories, f"{leaks}: leak categories {categories}, got {found}")

    def cxx_kernel_binary_at_0x3FFFF000():
        path = r.ledger_path()
        r.run(r.cxx("--leaks", "kernel_binary", "--devices", "3", "--ledger", path))
        ledger = parse_ledger(path)
        for dev in range(3):
            leak = of(ledger, "leak", scope="all", category="reclaimed_at_close", dev=dev, type="DRAM",
                      addr=1073737728, size=24576)
            expect(len(leak) == 1 and leak[0]["count"] == "3", f"dev {dev}: 24 KiB at 1073737728 leaked 3 times")

    def cxx_mesh():
        path = r.ledger_path()
        r.run(r.cxx("--mesh", "--devices", "4", "--leaks", "all", "--ledger", path))
        assert_grows(parse_ledger(path), devices=4, per_close=10)

    def cxx_env_configuration():
        path = r.ledger_path()
        r.run(r.cxx(env={"TTSIM_LEAKS": "cb_tracking", "TTSIM_LEDGER": path}))
        assert_grows(parse_ledger(path), devices=2, per_close=6)

    def cxx_skip_close():
        path = r.ledger_path()
        r.run(r.cxx("--leaks", "kernel_binary", "--skip-close", "--ledger", path))
        ledger = parse_ledger(path)
        expect(len(of(ledger, "device_close")) == 4, "the last iteration's devices stay open")
        never = of(ledger, "summary", scope="all", category="never_freed", type="DRAM")
        expect([(f["dev"], f["count"]) for f in never] == [("0", "2"), ("1", "2")],
               f"the open devices' two kernel binaries are never freed, got {never}")

    def cxx_pause_and_mark():
        path = r.ledger_path()
        p = r.start_paused(r.cxx("--leaks", "all", "--pause-at", "2", "--ledger", path))
        try:
            expect("libtt_metal.so" in r.maps(p.pid), "libtt_metal.so mapped during the pause")
            expect(not of(parse_ledger(path), "mark"), "no mark before the release")
            os.kill(p.pid, signal.SIGUSR1)
            expect(p.wait(TIMEOUT) == 0, "exit 0 after the release")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        expect(len(of(ledger, "mark")) == 1, "one mark")
        for dev in range(2):
            expect(tracking_live(ledger, dev, "tracking_live_since_mark") == [0, 10, 20],
                   f"dev {dev}: since-mark tracking_live 0, 10, 20")
        pre = of(ledger, "summary", scope="since_mark", category="pre_mark_free", dev=0)
        expect(sorted((f["type"], f["count"], f["bytes"]) for f in pre) == [("DRAM", "1", "65536"), ("L1", "1", "8192")],
               f"the paused program's inputs are freed after the mark: {pre}")

    def sigterm_ends_cleanly(cmd, path):
        """Runs an endless workload until 4 devices closed, then SIGTERM: exit 0, ledger finished,
        the interrupted iteration closed its devices."""
        p = subprocess.Popen(cmd, env=workload_env(), stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(path) or len(of(parse_ledger(path), "device_close")) < 4:
                expect(time.monotonic() < deadline and p.poll() is None, "the endless run keeps cycling")
                time.sleep(0.05)
            p.send_signal(signal.SIGTERM)
            expect(p.wait(TIMEOUT) == 0, "SIGTERM: exit 0")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        assert_complete(ledger, "cb_tracking,kernel_binary,cache_callback")
        expect(len(of(ledger, "device_open")) == len(of(ledger, "device_close")),
               "the interrupted iteration closed its devices")

    def cxx_sigterm():
        path = r.ledger_path()
        sigterm_ends_cleanly(r.cxx("--iterations", "0", "--rate", "50.5", "--leaks", "all", "--ledger", path)[0],
                             path)

    def cxx_bad_options():
        for args in (["--devices", "0"], ["--bogus"], ["--leaks", "nope"], ["--iterations", "x"],
                     ["--pause-at", "4"], ["--rate", "-1"], ["extra"]):
            r.run(r.cxx(*args), expect_rc=2)
        r.run(r.cxx(env={"TTSIM_LEAKS": "nope"}), expect_rc=2)
        expect("--pause-at" in r.run(r.cxx("--help")).stdout, "--help prints the options")

    def py_clean():
        path = r.ledger_path()
        r.run(r.py("--ledger", path))
        assert_clean(parse_ledger(path), devices=2, closes=3)

    def py_all_leaks():
        # Per device and run: add and multiply programs (the second add is a cache hit).
        path = r.ledger_path()
        r.run(r.py("--leaks", "all", "--ledger", path))
        ledger = parse_ledger(path)
        assert_grows(ledger, devices=2, per_close=10)
        hits = of(ledger, "cb_alloc", dev=0)
        expect(len(hits) == 18, f"3 runs x 2 programs x 3 CBs laid out on dev 0 (cache hits add none): {len(hits)}")

    def py_pause_mid_run():
        path = r.ledger_path()
        p = r.start_paused(r.py("--leaks", "cb_tracking", "--pause-at", "2", "--ledger", path))
        try:
            os.kill(p.pid, signal.SIGUSR1)
            expect(p.wait(TIMEOUT) == 0, "exit 0 after the release")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        for dev in range(2):
            expect(tracking_live(ledger, dev, "tracking_live_since_mark") == [0, 6, 12],
                   f"dev {dev}: since-mark tracking_live 0, 6, 12")

    def py_loads_the_runtime_late():
        path = r.ledger_path()
        p = r.start_paused(r.py("--pause-before-load", "--runs", "1", "--ledger", path))
        try:
            expect("libtt_metal.so" not in r.maps(p.pid), "libtt_metal.so not mapped before the load")
            os.kill(p.pid, signal.SIGUSR1)
            expect(p.wait(TIMEOUT) == 0, "exit 0 after the release")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        assert_clean(ledger, devices=2, closes=1)
        expect(ledger[1][0] == "mark", "mark right after the header when the pause came before the load")

    def py_sigterm():
        path = r.ledger_path()
        sigterm_ends_cleanly(r.py("--runs", "0", "--leaks", "all", "--ledger", path)[0], path)

    def py_bad_options():
        r.run(r.py("--devices", "0"), expect_rc=2)
        r.run(r.py("--leaks", "nope"), expect_rc=2)
        r.run(r.py("--lib", "/nonexistent/libttnn_sim.so"), expect_rc=1)

    return [(f"gen{r.gen}: {fn.__name__}", fn) for fn in (
        cxx_clean, cxx_each_switch, cxx_kernel_binary_at_0x3FFFF000, cxx_mesh, cxx_env_configuration,
        cxx_skip_close, cxx_pause_and_mark, cxx_sigterm, cxx_bad_options,
        py_clean, py_all_leaks, py_pause_mid_run, py_loads_the_runtime_late, py_sigterm, py_bad_options)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="directory with gen2026/ and gen2025/")
    args = parser.parse_args()
    passed = failed = 0
    for gen in (2026, 2025):
        for name, fn in checks(Runner(args.build, gen)):
            try:
                fn()
                passed += 1
                print(f"ok - {name}")
            except (CheckFailed, subprocess.TimeoutExpired, OSError) as e:
                failed += 1
                print(f"FAILED - {name}: {e}")
    print(f"check_workloads: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
