#!/usr/bin/env python3
"""End-to-end tests: real BPF programs attached to the simulated runtime.

Scenarios start workloads of the simulated tt-metal runtime (tests/sim),
trace them with ttleak-bpf, and compare its JSON findings with the runtime's
ledger exactly: every leaked (category, chip, type, address, size) and how
often, the frees of buffers allocated before attach, the growth series, the
exit code. Scenarios live in tests/e2e/test_*.py.

Needs root (BPF). With CI=true a run that cannot load BPF fails instead of
skipping. Python standard library only. Prints 'N passed, N failed'.
"""
import argparse
import concurrent.futures
import glob
import importlib
import os
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Build, Failure  # noqa: E402


def all_scenarios(build):
    """(name, run, parallel): modules that trace single processes only (no
    --all) say PARALLEL = True and may run beside each other."""
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        module = importlib.import_module(os.path.basename(path)[:-3])
        for name, run in module.scenarios(build):
            yield name, run, getattr(module, "PARALLEL", False)


def run_one(name, run):
    """Run a scenario in its own directory: (passed, report line)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ttleak-e2e-") as tmp:
        try:
            run(tmp)
            return True, f"PASS  {name}  ({time.monotonic() - start:.1f} s)"
        except Exception as e:  # a failed check or a crash of the runner itself
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            return False, f"FAIL  {name}\n      {detail}"


def bpf_unavailable():
    if os.geteuid() != 0:
        return "not root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "kernel without BTF"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("-k", dest="pattern", help="run only scenarios whose name contains this")
    ap.add_argument("-j", dest="jobs", type=int, default=2,
                    help="scenarios run side by side where they allow it (default 2)")
    args = ap.parse_args()
    build = Build(args.build)
    why = bpf_unavailable()
    if why:
        if os.environ.get("CI") == "true":
            print(f"e2e: cannot load BPF ({why}); in CI these tests must run", file=sys.stderr)
            print("e2e: 0 passed, 1 failed")
            return 1
        print(f"e2e: skipped: {why} (run 'sudo make test')")
        print("e2e: 0 passed, 0 failed, 1 skipped")
        return 0
    passed = failed = 0
    chosen = [(n, r, p) for n, r, p in all_scenarios(build)
              if not args.pattern or args.pattern in n]
    serial = [(n, r) for n, r, p in chosen if not p]
    parallel = [(n, r) for n, r, p in chosen if p]

    def report(result):
        nonlocal passed, failed
        ok, line = result
        passed += ok
        failed += not ok
        print(line, flush=True)

    # Serial ones first: some trace every process on the machine (--all).
    for name, run in serial:
        report(run_one(name, run))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for future in concurrent.futures.as_completed(
                [pool.submit(run_one, n, r) for n, r in parallel]):
            report(future.result())
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
