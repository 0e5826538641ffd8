"""Every command shown in README.md's code blocks, run as written where it can
be, against the simulated runtime: its placeholders (/path/to/libtt_metal.so,
`python test.py`, the job that `pgrep -f pytest` finds) stand for the
simulated library, a leaking workload and that workload paused, and `sudo`
is dropped (the tests run as root). Each command must be in COMMANDS below,
so a README change that adds or edits a command fails here until it runs;
those that cannot run here are listed with why."""
import os
import re
import signal
import subprocess
import time

from harness import REPO, TIMEOUT_S, check, finish, start_paused

PARALLEL = True  # -p and run mode only: each follows its own workload

# README command -> exit status expected here, or why it is not run here.
COMMANDS = {
    "sudo make demo": "builds and runs the demo: what the other tests cover, minutes long",
    "sudo make test": "runs every test, this one included",
    "ttleak-bpf --list-probes --lib /path/to/libtt_metal.so": 0,
    "sudo ttleak-bpf -p $(pgrep -f pytest)": 1,
    "sudo ttleak-bpf --lib /path/to/libtt_metal.so -- python test.py": 1,
    "sudo ttleak-gate --runs 3 -- python test.py": 1,
}


def readme_commands():
    """Lines of the README's fenced blocks that are commands (not output)."""
    with open(os.path.join(REPO, "README.md")) as f:
        blocks = re.findall(r"^```[^\n]*\n(.*?)^```", f.read(), re.M | re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if re.match(r"(sudo )?(make|ttleak-bpf|ttleak-gate)\b", line):
                commands.append(line)
    return commands


def as_here(build, tmp, command, pid=None):
    """The command with its placeholders filled in for this machine."""
    sim = build.sim("e5/rel", "")
    job = f"{sim}/ttsim_workload --iterations 2 --leaks kernel_binary"
    line = command.removeprefix("sudo ")
    line = line.replace("/path/to/libtt_metal.so", f"{sim}/libtt_metal.so")
    line = line.replace("python test.py", job)
    line = line.replace("$(pgrep -f pytest)", str(pid))
    return line


def env_for(build, tmp):
    """PATH finds the built commands; TT_METAL_HOME holds the library where a
    source build has it (build*/lib), as the gate's README command expects."""
    lib_dir = os.path.join(tmp, "tt-metal", "build_Release", "lib")
    if not os.path.exists(lib_dir):
        os.makedirs(lib_dir)
        os.symlink(build.sim("e5/rel", "libtt_metal.so"), os.path.join(lib_dir, "libtt_metal.so"))
    return dict(os.environ, PATH=f"{build.root}:{os.environ['PATH']}",
                TT_METAL_HOME=os.path.join(tmp, "tt-metal"),
                TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))


def run_attach(build, tmp, command, env):
    """-p on a paused workload: resumed once the tracer attached."""
    work = start_paused([build.sim("e5/rel", "ttsim_workload"), "--iterations", "2",
                         "--leaks", "kernel_binary", "--pause-at", "1"], env)
    line = as_here(build, tmp, command, work.pid)
    tracer = subprocess.Popen(["bash", "-c", line], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        got = tracer.stderr.readline()
        if not got or "attached" in got:
            break
    os.kill(work.pid, signal.SIGUSR1)
    finish(work, "workload")
    status, out, err = finish(tracer, line)
    return status, out + err


def scenario_readme(build):
    def run(tmp):
        found = readme_commands()
        unknown = [c for c in found if c not in COMMANDS]
        check(not unknown, f"README commands this test does not know: {unknown}")
        gone = [c for c in COMMANDS if c not in found]
        check(not gone, f"commands no longer in the README: {gone}")
        env = env_for(build, tmp)
        for command in found:
            want = COMMANDS[command]
            if isinstance(want, str):
                continue  # not run here, for the reason given
            if "$(pgrep" in command:
                status, text = run_attach(build, tmp, command, env)
            else:
                line = as_here(build, tmp, command)
                r = subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                                   env=env, timeout=TIMEOUT_S * 3)
                status, text = r.returncode, r.stdout + r.stderr
            check(status == want, f"`{command}` ran as `{as_here(build, tmp, command, 0)}`: "
                  f"exit {status}, expected {want}\n{text[-3000:]}")
    return "README: every command shown runs as written (placeholders filled in)", run


def scenarios(build):
    yield scenario_readme(build)
