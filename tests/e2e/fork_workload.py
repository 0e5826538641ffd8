#!/usr/bin/env python3
"""A parent that forks workers (as multiprocessing and pytest-xdist do) and
never touches the runtime itself; each worker runs the seeds' scenario with
its own ledger, ledger.<pid> in the directory given."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sim"))
import workload  # noqa: E402


def main():
    ledger_dir, lib, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            sys.argv = ["workload.py", "--lib", lib, "--leaks", "all", "--runs", "2",
                        "--ledger", os.path.join(ledger_dir, f"ledger.{os.getpid()}")]
            # sys.exit, not os._exit: the runtime finishes its ledger at exit().
            sys.exit(workload.main() or 0)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
