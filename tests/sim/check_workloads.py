#!/usr/bin/env python3
"""End-to-end checks of the two workloads against their ledgers, for every era variant and
topology: each leak switch shows its leak where the real runtime of that era could show it
(README.md, "What each era shows"), clean runs leave only the era's inherent findings, hooked
allocations never count, and pause/SIGUSR1, SIGTERM, --skip-close, late library loading and
bad options behave as README.md says. Python stdlib only.

Usage: check_workloads.py --build BUILD/sim [--variant V ...]
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
VARIANTS = {"e1": 1, "e2": 2, "e3": 3, "e4": 4, "e5": 5, "pimpl": 5, "e5x": 5}
TOPOLOGIES = ("chip", "unit-mesh", "mesh2")
ALL = "cb_tracking,kernel_binary,cache_callback"
KERNEL_BINARY_ADDR = 1073737728  # 0x3FFFF000
CB_ADDRS = ["101152", "105248", "109344"]


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


def closes(path):
    """device_close lines so far, counted without parsing: an endless run writes fast."""
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return f.read().count("\ndevice_close ")


def mesh_devs(ledger):
    return [f"mesh:{f['id']}" for f in of(ledger, "mesh")]


def assert_complete(ledger, era, leaks):
    expect(ledger and ledger[0][0] == "ttsim-ledger", "ledger starts with its header")
    expect(ledger[0][1].get("leaks") == leaks, f"header leaks={leaks}, got {ledger[0][1].get('leaks')}")
    expect(ledger[0][1].get("era") == era, f"header era={era}, got {ledger[0][1].get('era')}")
    expect(ledger[-1][0] == "end", "ledger ends with 'end'")
    expect(all(f["addr"] != "0" for f in of(ledger, "alloc")), "no real buffer at address 0")


def switches(leaks):
    return set(ALL.split(",")) if leaks == "all" else set(filter(None, leaks.split(",")))


class Expect:
    """What the ledger of a default ttsim_workload run (2 chips, 2 programs of 3 CBs, 3
    iterations) must show, per era, topology and leak switches (README.md)."""

    def __init__(self, era, topology, leaks):
        on = switches(leaks)
        self.era, self.topology = era, topology
        self.cbs_never_reported = era < 5                 # track_deallocate_cb is never called
        self.kb = topology != "chip" or "kernel_binary" in on  # mesh caches keep their binaries
        self.cc = "cache_callback" in on
        # E1's ~SubDeviceManager deallocates each reclaimed buffer afterwards, with events.
        self.freed_after_reset = era == 1

    def categories(self):
        cats = set()
        if self.cbs_never_reported:
            cats.add("cb_tracking")
        if self.kb or self.cc:
            cats.add("reclaimed_at_close")
        return cats

    def owner_live(self):
        """tracking_live of an allocator owner (a chip, or a mesh) per close, not cumulated."""
        buffers = 0 if self.freed_after_reset else 2 * self.kb + 2 * self.cc
        cbs = 6 if self.cbs_never_reported else 0
        return buffers + cbs

    def check(self, ledger):
        found = {f["category"] for f in of(ledger, "leak")}
        expect(found == self.categories(), f"leak categories {self.categories()}, got {found}")
        per = self.owner_live()
        if self.topology == "chip":
            for dev in ("chip:0", "chip:1"):
                live = tracking_live(ledger, dev)
                expect(live == [per, 2 * per, 3 * per], f"{dev} tracking_live {per}/close cumulated, got {live}")
            return
        meshes = mesh_devs(ledger)
        expect(len(meshes) == (6 if self.topology == "unit-mesh" else 3), f"mesh lines: {meshes}")
        for dev in meshes:
            expect(tracking_live(ledger, dev) == [per], f"{dev} tracking_live {per}, got {tracking_live(ledger, dev)}")
        # E5 reports a mesh's CBs to each of its chips; the programs are alive (cached) at the
        # close, so each chip holds its mesh's two programs' CBs then.
        chip_cbs = 6 if self.era >= 5 else 0
        for dev in ("chip:0", "chip:1"):
            expect(tracking_live(ledger, dev) == [chip_cbs] * 3, f"{dev} tracking_live {chip_cbs}, got "
                   f"{tracking_live(ledger, dev)}")


class Runner:
    def __init__(self, build, variant):
        self.variant, self.era = variant, VARIANTS[variant]
        self.workload = os.path.join(build, variant, "rel", "ttsim_workload")
        self.ttnn = os.path.join(build, variant, "rel", "libttnn_sim.so")
        self.tmp = tempfile.mkdtemp(prefix=f"ttsim-check-{variant}-")
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

    def ledger_of(self, *args, env=None):
        path = self.ledger_path()
        self.run(self.cxx(*args, "--ledger", path, env=env))
        return parse_ledger(path)

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


def matrix_checks(r):
    """Every topology and leak switch of one variant against the era's expectations."""
    def one(topology, leaks):
        def check():
            ledger = r.ledger_of("--topology", topology, "--leaks", leaks)
            assert_complete(ledger, r.variant, ALL if leaks == "all" else leaks)
            Expect(r.era, topology, leaks).check(ledger)
        check.__name__ = f"{topology}_{leaks}"
        return check
    return [one(t, leaks) for t in TOPOLOGIES
            for leaks in ("none", "cb_tracking", "kernel_binary", "cache_callback", "all")]


def scenario_checks(r):
    """Addresses, hooked allocations, global CBs, configuration, signals, the Python workload."""
    def kernel_binary_at_0x3FFFF000():
        ledger = r.ledger_of("--leaks", "kernel_binary", "--devices", "3")
        for dev in range(3):
            leak = of(ledger, "leak", scope="all", category="reclaimed_at_close", dev=f"chip:{dev}", type="DRAM",
                      addr=KERNEL_BINARY_ADDR, size=24576)
            expect(len(leak) == 1 and leak[0]["count"] == "3", f"chip {dev}: 24 KiB at 1073737728 leaked 3 times")
        cbs = [f["addr"] for f in of(ledger, "cb_alloc", dev="chip:0")][:3]
        expect(cbs == CB_ADDRS, f"CBs at {CB_ADDRS}, got {cbs}")

    def mesh_kernel_binary_is_one_mesh_buffer():
        ledger = r.ledger_of("--topology", "mesh2", "--iterations", "1")
        expect(of(ledger, "mesh") == [{"id": of(ledger, "mesh")[0]["id"], "chips": "0,1"}], "one mesh over chips 0,1")
        mesh = mesh_devs(ledger)[0]
        kb = of(ledger, "alloc", site="kernel_binary")
        expect(kb and all(f["dev"] == mesh for f in kb), f"kernel binaries allocated on {mesh}: {kb}")
        leak = of(ledger, "leak", scope="all", category="reclaimed_at_close", dev=mesh, addr=KERNEL_BINARY_ADDR)
        expect(len(leak) == 1 and leak[0]["count"] == "1", f"the cached binary reclaimed once on {mesh}: {leak}")
        expect(not of(ledger, "alloc", dev="chip:0"), "per-chip views raise no allocator events")
        cb_devs = {f["dev"] for f in of(ledger, "cb_alloc")}
        want = {"chip:0", "chip:1"} if r.era >= 5 else {mesh}
        expect(cb_devs == want, f"CBs reported to {want}, got {cb_devs}")

    def hooked_allocations_never_leak():
        for topology in TOPOLOGIES:
            ledger = r.ledger_of("--topology", topology, "--no-dispatch", "3", "--iterations", "1")
            hooked = of(ledger, "hooked", op="alloc")
            owners = 2 if topology != "mesh2" else 1
            expect(len(hooked) == 3 * owners and all(f["addr"] == "0" for f in hooked),
                   f"{topology}: 3 hooked allocations per device at address 0: {len(hooked)}")
            expect(len(of(ledger, "hooked", op="free")) == 3 * owners, f"{topology}: each hooked allocation freed")
            expect(all(f["size"] != "65536" or f["addr"] != "0" for f in of(ledger, "alloc")),
                   f"{topology}: hooked allocations are no alloc lines")

    def global_cb_uses_its_l1_buffer():
        ledger = r.ledger_of("--global-cb", "--iterations", "1")
        globals_ = of(ledger, "cb_alloc", dev="chip:0", **{"global": 1})
        l1 = [f["addr"] for f in of(ledger, "alloc", dev="chip:0", type="L1", size=4096)]
        expect(len(globals_) == 2 and all(f["addr"] in l1 for f in globals_),
               f"a global CB per program at its L1 buffer's address: {globals_} {l1}")

    def env_configuration():
        path = r.ledger_path()
        r.run(r.cxx(env={"TTSIM_LEAKS": "kernel_binary", "TTSIM_LEDGER": path}))
        ledger = parse_ledger(path)
        assert_complete(ledger, r.variant, "kernel_binary")
        Expect(r.era, "chip", "kernel_binary").check(ledger)

    def skip_close():
        ledger = r.ledger_of("--leaks", "kernel_binary", "--skip-close")
        expect(len(of(ledger, "device_close")) == 4, "the last iteration's devices stay open")
        never = of(ledger, "summary", scope="all", category="never_freed", type="DRAM")
        expect([(f["dev"], f["count"]) for f in never] == [("chip:0", "2"), ("chip:1", "2")],
               f"the open devices' two kernel binaries are never freed, got {never}")

    def pause_and_mark():
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
        per = Expect(r.era, "chip", "all").owner_live()
        for dev in ("chip:0", "chip:1"):
            expect(tracking_live(ledger, dev, "tracking_live_since_mark") == [0, per, 2 * per],
                   f"{dev}: since-mark tracking_live 0, {per}, {2 * per}")
        pre = of(ledger, "summary", scope="since_mark", category="pre_mark_free", dev="chip:0")
        expect(sorted((f["type"], f["count"], f["bytes"]) for f in pre) == [("DRAM", "1", "65536"), ("L1", "1", "8192")],
               f"the paused program's inputs are freed after the mark: {pre}")

    def sigterm_ends_cleanly(cmd, path):
        """Runs an endless workload until 4 devices closed, then SIGTERM: exit 0, ledger finished,
        the interrupted iteration closed its devices."""
        p = subprocess.Popen(cmd, env=workload_env(), stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + TIMEOUT
            while closes(path) < 4:
                expect(time.monotonic() < deadline and p.poll() is None, "the endless run keeps cycling")
                time.sleep(0.05)
            p.send_signal(signal.SIGTERM)
            expect(p.wait(TIMEOUT) == 0, "SIGTERM: exit 0")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        assert_complete(ledger, r.variant, ALL)
        expect(len(of(ledger, "device_open")) == len(of(ledger, "device_close")),
               "the interrupted iteration closed its devices")

    def cxx_sigterm():
        path = r.ledger_path()
        sigterm_ends_cleanly(r.cxx("--iterations", "0", "--rate", "50.5", "--leaks", "all", "--ledger", path)[0],
                             path)

    def cxx_bad_options():
        for args in (["--devices", "0"], ["--bogus"], ["--leaks", "nope"], ["--iterations", "x"],
                     ["--pause-at", "4"], ["--rate", "-1"], ["extra"], ["--topology", "ring"],
                     ["--no-dispatch", "-1"]):
            r.run(r.cxx(*args), expect_rc=2)
        r.run(r.cxx(env={"TTSIM_LEAKS": "nope"}), expect_rc=2)
        expect("--topology" in r.run(r.cxx("--help")).stdout, "--help prints the options")

    def py_unit_meshes():
        # Per chip and run: a unit mesh running add and multiply (the second add hits the cache).
        for leaks in ("none", "all"):
            path = r.ledger_path()
            r.run(r.py("--leaks", leaks, "--ledger", path))
            ledger = parse_ledger(path)
            assert_complete(ledger, r.variant, ALL if leaks == "all" else leaks)
            meshes = of(ledger, "mesh")
            expect([f["chips"] for f in meshes] == ["0", "1"] * 3, f"a unit mesh per chip and run: {meshes}")
            kb = of(ledger, "summary", scope="all", category="reclaimed_at_close", type="DRAM")
            want = 1 + (leaks == "all")  # the two cached binaries, plus a 32 KiB scratch buffer
            expect(len(kb) == 6 and all(f["count"] == str(2 if want == 1 else 3) for f in kb),
                   f"{leaks}: the cached kernel binaries of each mesh are reclaimed at its close: {kb}")
            cbs = of(ledger, "cb_alloc")
            expect(len(cbs) == 36, f"3 runs x 2 chips x 2 programs x 3 CBs laid out (hits add none): {len(cbs)}")
            expect(("cb_tracking" in {f["category"] for f in of(ledger, "leak")}) == (r.era < 5),
                   "CBs are never reported deallocated before E5")

    def py_pause_mid_run():
        path = r.ledger_path()
        p = r.start_paused(r.py("--pause-at", "2", "--ledger", path))
        try:
            os.kill(p.pid, signal.SIGUSR1)
            expect(p.wait(TIMEOUT) == 0, "exit 0 after the release")
        finally:
            p.kill() if p.poll() is None else None
        ledger = parse_ledger(path)
        expect(len(of(ledger, "mark")) == 1, "one mark")
        pre = of(ledger, "summary", scope="since_mark", category="pre_mark_free")
        expect(sorted((f["type"], f["count"]) for f in pre) == [("DRAM", "2")], f"the two inputs freed after the mark: {pre}")

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
        assert_complete(ledger, r.variant, "none")
        expect(ledger[1][0] == "mark", "mark right after the header when the pause came before the load")

    def py_sigterm():
        path = r.ledger_path()
        sigterm_ends_cleanly(r.py("--runs", "0", "--leaks", "all", "--ledger", path)[0], path)

    def py_bad_options():
        r.run(r.py("--devices", "0"), expect_rc=2)
        r.run(r.py("--leaks", "nope"), expect_rc=2)
        r.run(r.py("--lib", "/nonexistent/libttnn_sim.so"), expect_rc=1)

    quick = [kernel_binary_at_0x3FFFF000, mesh_kernel_binary_is_one_mesh_buffer, hooked_allocations_never_leak,
             global_cb_uses_its_l1_buffer, py_unit_meshes]
    slow = [env_configuration, skip_close, pause_and_mark, cxx_sigterm, cxx_bad_options, py_pause_mid_run,
            py_loads_the_runtime_late, py_sigterm, py_bad_options]
    # Signals, pauses and options do not depend on the era: run them on two eras.
    return quick + (slow if r.variant in ("e1", "e5") else [])


def checks(r):
    return [(f"{r.variant}: {fn.__name__}", fn) for fn in matrix_checks(r) + scenario_checks(r)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="the sim build directory (holding e1/ ... e5x/)")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="only these variants")
    args = parser.parse_args()
    passed = failed = 0
    for variant in args.variant or VARIANTS:
        for name, fn in checks(Runner(args.build, variant)):
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
