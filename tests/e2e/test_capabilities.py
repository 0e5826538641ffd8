"""Capabilities (docs/permissions.md): each mode run as an unprivileged user
holding exactly the documented set traces the simulated runtime and its
findings equal the ledger; one capability less fails with a message naming
it and exit 2; after attach the tracer holds only the documented
post-attach set; run mode's command runs as SUDO_UID unless --as-root.

The unprivileged user is nobody (65534); capabilities are given with
setpriv(1) (util-linux) as ambient capabilities, so the tracer holds exactly
them: setpriv execs, its pid is the tracer's.
"""
import os
import signal
import subprocess
import time

from harness import (TIMEOUT_S, check, compare_process, compare_with_ledger, finish,
                     load_report, start_paused)

PARALLEL = False  # --all, and the tracer's capabilities read from /proc

USER_UID = USER_GID = 65534  # nobody
GEN = "e5/rel"

# The documented sets (docs/permissions.md). On kernels since 6.16 creating a
# uprobe takes CAP_SYS_ADMIN; CAP_BPF and CAP_PERFMON load the programs (on
# older kernels they are the whole need). -p and --all read other users'
# processes' maps and open their libraries through /proc/PID/root.
RUN_CAPS = ("bpf", "perfmon", "sys_admin")
ATTACH_CAPS = RUN_CAPS + ("sys_ptrace",)
CAP_BITS = {"dac_override": 1, "dac_read_search": 2, "kill": 5, "sys_ptrace": 19,
            "sys_admin": 21, "perfmon": 38, "bpf": 39}
# What the tracer keeps after attaching (user/attach/privileges.c): of these, what it held.
KEPT_AFTER_ATTACH = ("sys_ptrace", "dac_read_search", "dac_override", "kill")


def as_user(caps, argv):
    """argv run as nobody holding exactly caps (names as in setpriv, no CAP_)."""
    pre = ["setpriv", f"--reuid={USER_UID}", f"--regid={USER_GID}", "--clear-groups"]
    if caps:
        plus = ",".join("+" + c for c in caps)
        pre += [f"--inh-caps=-all,{plus}", f"--ambient-caps={plus}"]
    else:
        pre += ["--inh-caps=-all"]
    return [*pre, "--", *argv]


def mask(caps):
    return sum(1 << CAP_BITS[c] for c in caps)


def status_caps(pid):
    caps = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                key, value = line.split(":")
                caps[key] = int(value, 16)
    return caps


def user_tmp(tmp):
    os.chmod(tmp, 0o777)  # the tracer (and run mode's command) write there as nobody


def lib(build):
    return build.sim(GEN, "libtt_metal.so")


def workload(build, leaks, *extra):
    return [build.sim(GEN, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--iterations", "3", "--leaks", leaks, *extra]


def wait_attached(tracer, what):
    deadline = time.monotonic() + TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        line = tracer.stderr.readline()
        if not line:
            break
        if "attached" in line:
            return
        seen.append(line)
    tracer.kill()
    out, err = tracer.communicate()
    check(False, f"{what}: the tracer did not attach (exit {tracer.returncode})\n"
          f"{''.join(seen)}{out}{err}")


# ---- each mode with exactly the documented set -------------------------------

def scenario_run_mode(build):
    def run(tmp):
        user_tmp(tmp)
        report_path = os.path.join(tmp, "report.json")
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        r = subprocess.run(as_user(RUN_CAPS, [build.tool, "-q", "--lib", lib(build), "--json",
                                              report_path, "--", *workload(build, "all")]),
                           capture_output=True, text=True, env=env, timeout=TIMEOUT_S, cwd=tmp)
        report = load_report(report_path, r.returncode, r.stdout + r.stderr)
        compare_with_ledger(r.returncode, report, os.path.join(tmp, "ledger.txt"),
                            r.stdout + r.stderr)
    return f"capabilities: run mode as nobody with {','.join(RUN_CAPS)}", run


def scenario_attach(build):
    """-p of a job of another user (root), the library found from its maps."""
    def run(tmp):
        user_tmp(tmp)
        ledger = os.path.join(tmp, "ledger.txt")
        report_path = os.path.join(tmp, "report.json")
        work = start_paused(workload(build, "all", "--pause-at", "1"),
                            dict(os.environ, TTSIM_LEDGER=ledger))
        tracer = subprocess.Popen(as_user(ATTACH_CAPS, [build.tool, "-p", str(work.pid),
                                                        "--json", report_path]),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=tmp)
        try:
            wait_attached(tracer, "-p")
        finally:
            os.kill(work.pid, signal.SIGUSR1)
        wstatus, _, werr = finish(work, "workload")
        check(wstatus == 0, f"workload failed ({wstatus}): {werr}")
        status, out, err = finish(tracer, "tracer")
        report = load_report(report_path, status, out + err)
        compare_with_ledger(status, report, ledger, out + err)
    return f"capabilities: -p (root's job) as nobody with {','.join(ATTACH_CAPS)}", run


def scenario_all(build):
    def run(tmp):
        user_tmp(tmp)
        report_path = os.path.join(tmp, "report.json")
        tracer = subprocess.Popen(as_user(ATTACH_CAPS, [build.tool, "--all", "--lib", lib(build),
                                                        "--json", report_path]),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=tmp)
        wait_attached(tracer, "--all")
        ledger = os.path.join(tmp, "ledger.0")
        w = subprocess.Popen(workload(build, "kernel_binary"), stdout=subprocess.DEVNULL,
                             env=dict(os.environ, TTSIM_LEDGER=ledger))
        check(w.wait(timeout=TIMEOUT_S) == 0, "workload failed")
        time.sleep(0.5)
        tracer.send_signal(signal.SIGINT)
        status, out, err = finish(tracer, "tracer")
        report = load_report(report_path, status, out + err)
        leaks, _ = compare_process(report, w.pid, ledger, out + err)
        check(leaks and status == 1, f"--all: exit {status}, leaks {leaks}\n{err}")
    return f"capabilities: --all as nobody with {','.join(ATTACH_CAPS)}", run


def scenario_no_privilege_modes(build):
    """--list-probes and --replay need no capability at all."""
    def run(tmp):
        user_tmp(tmp)
        r = subprocess.run(as_user((), [build.tool, "--list-probes", "--lib", lib(build)]),
                           capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp)
        check(r.returncode == 0 and "track_allocate" in r.stdout,
              f"--list-probes as nobody without capabilities: exit {r.returncode}\n{r.stderr}")
        # A log recorded by root, analysed by nobody: the same findings as the ledger.
        ledger, log = os.path.join(tmp, "ledger.txt"), os.path.join(tmp, "events.bin")
        r = subprocess.run([build.tool, "-q", "--lib", lib(build), "--record", log, "--",
                            *workload(build, "all")], capture_output=True, text=True,
                           env=dict(os.environ, TTSIM_LEDGER=ledger), timeout=TIMEOUT_S)
        check(r.returncode == 1 and os.path.exists(log), f"recording: exit {r.returncode}\n"
              f"{r.stderr}")
        os.chmod(log, 0o644)
        report_path = os.path.join(tmp, "replay.json")
        r = subprocess.run(as_user((), [build.tool, "--replay", log, "--json", report_path]),
                           capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp)
        report = load_report(report_path, r.returncode, r.stdout + r.stderr)
        compare_with_ledger(r.returncode, report, ledger, r.stdout + r.stderr)
    return "capabilities: --list-probes and --replay as nobody with none", run


# ---- one capability less --------------------------------------------------

def denied(build, tmp, caps, mode_args, want_words):
    user_tmp(tmp)
    r = subprocess.run(as_user(caps, [build.tool, "-q", *mode_args]), capture_output=True,
                       text=True, timeout=TIMEOUT_S, cwd=tmp)
    what = f"{' '.join(mode_args[:2])} with {','.join(caps) or 'nothing'}"
    check(r.returncode == 2, f"{what}: exit {r.returncode}, expected 2 (the user must act)\n"
          f"{r.stderr}")
    for w in want_words:
        check(w in r.stderr, f"{what}: the error does not say {w!r}:\n{r.stderr}")


def scenario_one_less(build):
    def run(tmp):
        run_args = ["--lib", lib(build), "--", "/bin/true"]
        all_args = ["--all", "--lib", lib(build), "-d", "1"]
        for args, documented in ((run_args, RUN_CAPS), (all_args, ATTACH_CAPS)):
            # The kernel's own rule since 6.16: no uprobe without CAP_SYS_ADMIN.
            less = tuple(c for c in documented if c != "sys_admin")
            denied(build, tmp, less, args, ["permission denied attaching a uprobe",
                                            "missing CAP_SYS_ADMIN"])
        # Without CAP_SYS_ADMIN (which would cover them) loading needs both.
        denied(build, tmp, ("perfmon",), run_args, ["loading BPF", "missing CAP_BPF"])
        denied(build, tmp, ("bpf",), run_args, ["loading BPF", "missing CAP_PERFMON"])
        denied(build, tmp, (), run_args, ["missing CAP_BPF and CAP_PERFMON"])
        # -p of root's job without CAP_SYS_PTRACE: its library cannot be opened.
        work = start_paused(workload(build, "none", "--pause-at", "1"), dict(os.environ))
        try:
            less = tuple(c for c in ATTACH_CAPS if c != "sys_ptrace")
            denied(build, tmp, less, ["-p", str(work.pid), "-d", "1"], ["Permission denied"])
        finally:
            os.kill(work.pid, signal.SIGUSR1)
            finish(work, "workload")
    return "capabilities: one less fails with exit 2, naming what is missing", run


# ---- what is held after attach ---------------------------------------------

def held_after_attach(build, tmp, wrap, caps_held):
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
    tracer = subprocess.Popen(wrap([build.tool, "--lib", lib(build), "--", "sleep", "3"]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=tmp)
    try:
        # 'attached' is printed after the capabilities are dropped, before the
        # paused command is released: it sleeps 3 s from then.
        wait_attached(tracer, "run mode")
        caps = status_caps(tracer.pid)
    finally:
        finish(tracer, "tracer")
    want = mask(c for c in KEPT_AFTER_ATTACH if c in caps_held)
    for key in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        if key == "CapInh" or key == "CapAmb":
            check(caps[key] & ~want == 0, f"{key} {caps[key]:#x} beyond {want:#x}")
        else:
            check(caps[key] == want, f"{key} {caps[key]:#x}, expected {want:#x} "
                  f"({','.join(c for c in KEPT_AFTER_ATTACH if c in caps_held)})")
    return caps


def scenario_dropped(build):
    def run(tmp):
        user_tmp(tmp)
        caps = held_after_attach(build, tmp, lambda argv: argv, tuple(CAP_BITS))
        check(caps["CapBnd"] == mask(KEPT_AFTER_ATTACH),
              f"root: bounding set {caps['CapBnd']:#x} not cut to {mask(KEPT_AFTER_ATTACH):#x}")
        held_after_attach(build, tmp, lambda argv: as_user(ATTACH_CAPS, argv), ATTACH_CAPS)
        # Run mode's command gets none of an unprivileged tracer's capabilities.
        r = subprocess.run(as_user(RUN_CAPS, [build.tool, "-q", "--lib", lib(build), "--", "grep",
                                              "^Cap[EPIA]", "/proc/self/status"]),
                           capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp)
        caps = [line for line in r.stdout.splitlines() if line.startswith("Cap")]
        held = [line for line in caps if int(line.split()[1], 16)]
        check(r.returncode == 0 and len(caps) == 4 and not held,
              f"the command inherited capabilities: {held or r.stdout!r} {r.stderr}")
    return "capabilities: after attach only the post-attach set is held (root and nobody)", run


# ---- run mode's identity ----------------------------------------------------

def scenario_sudo_identity(build):
    def run(tmp):
        env = dict(os.environ, SUDO_UID=str(USER_UID), SUDO_GID=str(USER_GID), SUDO_USER="nobody")
        cmd = ["-q", "--lib", lib(build), "--", "sh", "-c", "echo ids=$(id -u):$(id -g)"]
        r = subprocess.run([build.tool, *cmd], capture_output=True, text=True, env=env,
                           timeout=TIMEOUT_S, cwd="/")
        check(r.returncode == 0 and f"ids={USER_UID}:{USER_GID}" in r.stdout,
              f"through sudo the command must run as {USER_UID}:{USER_GID}: exit "
              f"{r.returncode} {r.stdout!r} {r.stderr}")
        r = subprocess.run([build.tool, "--as-root", *cmd], capture_output=True, text=True,
                           env=env, timeout=TIMEOUT_S, cwd="/")
        check(r.returncode == 0 and "ids=0:0" in r.stdout,
              f"--as-root must keep uid 0: exit {r.returncode} {r.stdout!r} {r.stderr}")
    return "capabilities: run mode through sudo runs the command as SUDO_UID; --as-root keeps 0", run


def scenarios(build):
    yield scenario_run_mode(build)
    yield scenario_attach(build)
    yield scenario_all(build)
    yield scenario_no_privilege_modes(build)
    yield scenario_one_less(build)
    yield scenario_dropped(build)
    yield scenario_sudo_identity(build)
