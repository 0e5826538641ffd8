"""Where the build puts what the benchmarks run (bench/bench.mk)."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIANTS = ("gcc-O2", "gcc-O3", "gcc-O2-cf", "gcc-O3-cf",
            "clang-O2", "clang-O3", "clang-O2-cf", "clang-O3-cf", "clang19-O3")


class Build:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.tool = os.path.join(self.root, "ttleak-bpf")
        self.out = os.path.join(self.root, "bench")
        # The benchmarks' private copy of the simulated runtime (bench/bench.mk says why).
        self.sim_lib = os.path.join(self.out, "sim", "libtt_metal.so")
        self.attach_lib = os.path.join(self.out, "attach", "libtt_metal.so")

    def bench(self, name):
        return os.path.join(self.out, "bin", name)

    def variant_lib(self, name):
        return os.path.join(self.out, "variants", name, "libtt_metal.so")

    def missing(self, sections=None):
        """What the sections to run need and is not built (the 316 MB library of the
        attach section takes minutes: only when that section runs)."""
        need = [self.tool, self.sim_lib,
                *([self.attach_lib] if sections is None or "attach" in sections else []),
                *(self.bench(n) for n in ("floor", "kinds", "op_loop", "alloc_storm",
                                          "uprobe_cost", "insn_survey", "gen_events",
                                          "tracker_bench", "map_lib")),
                *(self.variant_lib(v) for v in VARIANTS)]
        return [p for p in need if not os.path.exists(p)]
