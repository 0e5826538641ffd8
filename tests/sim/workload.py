#!/usr/bin/env python3
"""The seeds' scenario (test_mesh_allocation.py) on the simulated runtime.

Like `import ttnn`, it starts the interpreter first and only then loads libttnn_sim.so with
ctypes, which pulls in libtt_metal.so through its RUNPATH: the runtime is mapped late. Each
run opens its devices as ttnn.open_device(device_id=N) does (a unit MeshDevice per chip), puts
tensors on each, runs ops (the second `add` hits the program cache), frees the tensors and
closes the devices.

--pause-at K: in run K, once the mesh is open and the first op's inputs are allocated, print
'paused pid=<pid>' and wait for SIGUSR1 (a tracer attaches meanwhile); the ledger's mark
follows. --pause-before-load: the same pause before the library is loaded.
SIGTERM/SIGINT end the job after the current run, with exit status 0.
"""
import argparse
import ctypes
import os
import signal
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_LIB = os.path.join(REPO, "build", "sim", "e5", "g", "libttnn_sim.so")
DRAM, L1 = 0, 1
LEAK_SWITCHES = {"cb_tracking", "kernel_binary", "cache_callback"}

stopping = False


def on_terminate(signum, _frame):
    global stopping
    stopping = True
    signal.signal(signum, signal.SIG_DFL)  # a second one kills


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", default=DEFAULT_LIB, help="libttnn_sim.so (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the scenario (default 3; 0 = until SIGTERM)")
    parser.add_argument("--devices", type=int, default=2,
                        help="chips 0..N-1, each opened as a unit mesh (default 2)")
    parser.add_argument("--leaks", help="cb_tracking,kernel_binary,cache_callback | all | none (as TTSIM_LEAKS)")
    parser.add_argument("--ledger", help="write the ledger to this path (as TTSIM_LEDGER)")
    parser.add_argument("--pause-at", type=int, default=0, metavar="K",
                        help="pause in run K after the first op's inputs are allocated (0: never)")
    parser.add_argument("--pause-before-load", action="store_true",
                        help="pause before loading the library")
    args = parser.parse_args()
    if args.runs < 0 or args.devices < 1 or args.pause_at < 0:
        parser.error("--runs and --pause-at must be >= 0, --devices >= 1")
    if args.runs and args.pause_at > args.runs:
        parser.error("--pause-at is after the last run")
    if args.leaks not in (None, "", "all", "none") and not set(args.leaks.split(",")) <= LEAK_SWITCHES:
        parser.error(f"--leaks: use {','.join(sorted(LEAK_SWITCHES))}, all or none")
    return args


def load(path):
    lib = ctypes.CDLL(path)
    handle = ctypes.c_void_p
    for name, restype, argtypes in (
        ("ttnn_sim_configure", ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
        ("ttnn_sim_mark", None, []),
        ("ttnn_sim_last_error", ctypes.c_char_p, []),
        ("ttnn_sim_open_device", handle, [ctypes.c_int]),
        ("ttnn_sim_close_mesh_device", ctypes.c_int, [handle]),
        ("ttnn_sim_from_host", handle, [handle, ctypes.c_ulonglong, ctypes.c_int]),
        ("ttnn_sim_add", handle, [handle, handle]),
        ("ttnn_sim_multiply", handle, [handle, handle]),
        ("ttnn_sim_deallocate", ctypes.c_int, [handle]),
    ):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class Ttnn:
    """Raises on the C API's errors, so a failed call cannot pass unnoticed."""

    def __init__(self, lib):
        self.lib = lib

    def __getattr__(self, name):
        fn = getattr(self.lib, "ttnn_sim_" + name)

        def call(*args):
            result = fn(*args)
            if result is None and fn.restype is not None or isinstance(result, int) and result < 0:
                raise RuntimeError(f"ttnn_sim_{name}: {self.lib.ttnn_sim_last_error().decode()}")
            return result
        return call


def pause_for_tracer(ttnn=None):
    """Prints the pid, waits for SIGUSR1 (or SIGTERM/SIGINT), then marks the ledger."""
    global stopping
    print(f"paused pid={os.getpid()}", flush=True)
    waited = {signal.SIGUSR1, signal.SIGTERM, signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, waited)
    if signal.sigwait(waited) != signal.SIGUSR1:
        stopping = True
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if ttnn is not None:
        ttnn.mark()


def run_ops(ttnn, device, pause):
    """The seeds' ops on one device; returns the tensors to free."""
    a = ttnn.from_host(device, 65536, DRAM)
    b = ttnn.from_host(device, 65536, DRAM)
    if pause:
        pause_for_tracer(ttnn)
    c = ttnn.add(a, b)
    d = ttnn.add(c, b)  # same op and shapes: program cache hit
    s = ttnn.from_host(device, 8192, L1)
    t = ttnn.from_host(device, 8192, L1)
    u = ttnn.multiply(s, t)
    return (a, b, c, d, s, t, u)


def run_scenario(ttnn, devices, pause):
    opened = [ttnn.open_device(chip) for chip in range(devices)]
    for i, device in enumerate(opened):
        for tensor in run_ops(ttnn, device, pause and i == 0):
            ttnn.deallocate(tensor)
    for device in opened:
        ttnn.close_mesh_device(device)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    # Held until the pause, so that a SIGUSR1 sent early is not lost (its default kills).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})

    if args.pause_before_load:
        pause_for_tracer()
    ttnn = Ttnn(load(args.lib))
    ttnn.configure(args.leaks.encode() if args.leaks is not None else None,
                   args.ledger.encode() if args.ledger is not None else None,
                   1 if args.pause_at else 0)
    run = 0
    while not stopping and (args.runs == 0 or run < args.runs):
        run += 1
        run_scenario(ttnn, args.devices, pause=run == args.pause_at)
    return 0  # the ledger is finalized at exit


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as e:
        print(f"workload.py: {e}", file=sys.stderr)
        sys.exit(1)
