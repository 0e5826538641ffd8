"""5. Attach time on a library the size of a real libtt_metal.so.

From starting `ttleak-bpf -p PID` to its "attached" line (the probes are
live), against a process that has the library mapped (bench/map_lib.c).
Warm: the library's pages are in the page cache, as when the job runs.
Cold: the library file's cached pages are dropped (posix_fadvise on that file
only) before the target maps it, so the tracer reads its symbol tables from
disk. Symbol resolution alone: `ttleak-bpf --list-probes --lib`, no BPF.
"""
import os
import signal
import subprocess
import time

from .procs import BenchError, Tracer, spawn, stop
from .stats import summary

GOAL_S = 0.5


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

ATTACH_LAYOUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "attach.layout")


def attach_once(build, cold):
    if cold:
        drop_cache(build.attach_lib)
    proc, out, err = spawn([build.bench("map_lib"), build.attach_lib])
    # The library has no Buffer accessors to prove offsets from; the layout
    # file stands in for them (bench/attach.layout says why that is sound here).
    tracer = Tracer(build, extra=["--layout", ATTACH_LAYOUT])
    try:
        line = out.wait_for("ready pid=")
        if line is None:
            raise BenchError(f"map_lib did not start: {err.text(5)[-1000:]}")
        tracer.attach(int(line.split("=", 1)[1]))
        return tracer.attach_s
    finally:
        if getattr(tracer, "proc", None) is not None:
            stop(tracer.proc, signal.SIGINT)
        stop(proc)
        if getattr(tracer, "json_path", None) and os.path.exists(tracer.json_path):
            os.unlink(tracer.json_path)


def resolve_once(build):
    t0 = time.monotonic()
    subprocess.run([build.tool, "--list-probes", "--lib", build.attach_lib, "--layout",
                    ATTACH_LAYOUT],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def dynsym_count(path):
    """Entries of .dynsym, from its section header (size / entry size)."""
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 6 and f[1] == ".dynsym":
            return int(f[5], 16) // int(f[6], 16)
    return None


def run(build, rounds, log):
    cold = [attach_once(build, True) for _ in range(max(1, rounds // 2))]
    warm = [attach_once(build, False) for _ in range(rounds)]
    res = [resolve_once(build) for _ in range(rounds)]
    out = {"library_bytes": os.path.getsize(build.attach_lib),
           "dynsym_symbols": dynsym_count(build.attach_lib),
           "warm_s": summary(warm), "cold_s": summary(cold), "resolve_s": summary(res),
           "goal_s": GOAL_S}
    out["goal_met"] = max(out["warm_s"]["median"], out["cold_s"]["median"]) < GOAL_S
    log(f"attach: warm {out['warm_s']['median']:.3f} s, cold {out['cold_s']['median']:.3f} s")
    return out
