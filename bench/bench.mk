# Benchmarks (bench/README.md), included by the top-level Makefile, which provides OUTPUT,
# CC, CXX, CLANG, BPFTOOL, PYTHON, Q, msg, TOOL, CORE_LIB, ALL_CFLAGS, BPF_CFLAGS, LDLIBS,
# WARNINGS and the sim target.
#
#   make bench        install what the benchmarks need (apt), build it, run every
#                     measurement, print the table and write bench/results.json
#                     (BENCH_JSON=PATH to write it elsewhere)
#   make bench-build  build only
#   make bench BENCH_ARGS='--only per_event,attach --rounds 3'   a part, fewer rounds

BENCH_OUT    := $(OUTPUT)/bench
BENCH_BIN    := $(BENCH_OUT)/bin
BENCH_SIM    := $(BENCH_OUT)/sim
BENCH_JOBS   ?= $(shell nproc)
BENCH_ARGS   ?=
BENCH_JSON   ?= bench/results.json
CAPSTONE_LIBS := -lcapstone

# ---- the floor: counting uprobes, with their own skeleton (not under bpf/) ----------------

$(BENCH_OUT)/floor.bpf.o: bench/floor.bpf.c include/ttleak_event.h vmlinux/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(BENCH_OUT)/floor.skel.h: $(BENCH_OUT)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

# ---- C programs: the floor's loader, the tracker harness, the attach target ----------------

BENCH_C_CFLAGS = $(ALL_CFLAGS) -I$(BENCH_OUT) -Ibench

$(BENCH_BIN)/floor: bench/floor.c $(BENCH_OUT)/floor.skel.h $(CORE_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_C_CFLAGS) $(LDFLAGS) $< $(CORE_LIB) $(LDLIBS) -o $@

$(BENCH_BIN)/gen_events $(BENCH_BIN)/tracker_bench: $(BENCH_BIN)/%: bench/%.c $(CORE_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_C_CFLAGS) $(LDFLAGS) $< $(CORE_LIB) $(LDLIBS) -o $@

$(BENCH_BIN)/insn_survey: bench/insn_survey.c $(CORE_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_C_CFLAGS) $(LDFLAGS) $< $(CORE_LIB) $(LDLIBS) $(CAPSTONE_LIBS) -o $@

$(BENCH_BIN)/map_lib: bench/map_lib.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_C_CFLAGS) $(LDFLAGS) $< -ldl -o $@

# Functions that start with one instruction each, for the cost of a uprobe on it.
$(BENCH_BIN)/uprobe_cost: bench/uprobe_cost.c bench/insn_targets.S
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_C_CFLAGS) $(LDFLAGS) $^ -o $@

# ---- C++ programs on the simulated runtime (era e5) -------------------------------

# A private copy of the simulated runtime: uprobes belong to a file (inode), and a tracer
# attached machine-wide to $(OUTPUT)/sim/e5/rel/libtt_metal.so (the end-to-end tests' run
# mode, or anyone's --all) would otherwise trap inside the benchmarks too.
$(BENCH_SIM)/libtt_metal.so: $(OUTPUT)/sim/e5/rel/libtt_metal.so
	$(call msg,COPY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@.tmp && mv $@.tmp $@

# RUNPATH (not RPATH), so that LD_LIBRARY_PATH can put a compiler variant of the
# runtime in its place (the probe placement section does).
BENCH_CXXFLAGS := -O2 -std=c++17 $(WARNINGS) -Itests/sim/runtime -Ibench -DTTSIM_ERA=e5 -MMD -MP
BENCH_SIM_LINK  = -L$(BENCH_SIM) -ltt_metal -Wl,--enable-new-dtags -Wl,-rpath,$(abspath $(BENCH_SIM))
BENCH_SIM_PROGS := kinds op_loop alloc_storm

$(patsubst %,$(BENCH_BIN)/%,$(BENCH_SIM_PROGS)): $(BENCH_BIN)/%: bench/%.cpp $(BENCH_SIM)/libtt_metal.so
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(BENCH_CXXFLAGS) $(LDFLAGS) $< $(BENCH_SIM_LINK) -pthread -o $@

# ---- the runtime built by each compiler, for the instructions its probed functions start with

# clang19-O3: the PyPI wheel is built by clang 20 at -O3 without -fcf-protection; clang 19 is
# the nearest Debian 12 has (clang-O* is the default clang, 14).
BENCH_VARIANTS := gcc-O2 gcc-O3 gcc-O2-cf gcc-O3-cf clang-O2 clang-O3 clang-O2-cf clang-O3-cf clang19-O3
BENCH_VAR_LIBS := $(patsubst %,$(BENCH_OUT)/variants/%/libtt_metal.so,$(BENCH_VARIANTS))
BENCH_VAR_BASE := -MMD -MP -fPIC -fvisibility-inlines-hidden -std=c++17 -Itests/sim/runtime -DTTSIM_ERA=e5
# Compiler and flags of one variant, from its name: gcc|clang, O2|O3, -cf.
bench_var_cxx   = $(if $(findstring clang19,$(1)),clang++-19,$(if $(findstring clang,$(1)),$(CLANG)++,g++))
bench_var_flags = -$(word 2,$(subst -, ,$(1))) $(if $(findstring -cf,$(1)),-fcf-protection=full,-fcf-protection=none)

define bench_variant
$(BENCH_OUT)/variants/$(1)/%.o: tests/sim/runtime/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(call bench_var_cxx,$(1)) $(call bench_var_flags,$(1)) $(BENCH_VAR_BASE) -c $$< -o $$@

$(BENCH_OUT)/variants/$(1)/libtt_metal.so: $(patsubst tests/sim/runtime/%.cpp,$(BENCH_OUT)/variants/$(1)/%.o,$(SIM_RT_SRCS))
	$$(call msg,LINK,$$@)
	$(Q)$(call bench_var_cxx,$(1)) -shared -Wl,-soname,libtt_metal.so $$^ -o $$@
endef
$(foreach v,$(BENCH_VARIANTS),$(eval $(call bench_variant,$(v))))

# ---- a library the size of a real libtt_metal.so, for attach time ------------------------
# tests/unit/fixtures.mk builds libbig.so: 310,000 functions and the real probe targets,
# about 100 MB. Attach time is to be measured on at least 300 MB: 200 MiB of read-only
# data bring these objects past that. It is named libtt_metal.so so that the tracer finds
# it in the target's maps as it would the real one.
BENCH_PAD_MIB := 200

$(BENCH_OUT)/attach/pad.o:
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '.section .rodata.ttleak_bench_pad,"a"\n.globl ttleak_bench_pad\nttleak_bench_pad:\n.zero %d\n.section .note.GNU-stack,"",@progbits\n' \
		$$(($(BENCH_PAD_MIB) * 1048576)) | $(CC) -c -x assembler - -o $@

# The padding object is as big as the padding: gone once linked.
.INTERMEDIATE: $(BENCH_OUT)/attach/pad.o

$(BENCH_OUT)/attach/libtt_metal.so: $(BENCH_BIG_OBJS) $(BENCH_OUT)/attach/pad.o
	$(call msg,LINK,$@)
	$(Q)$(CXX) -shared -Wl,--build-id=sha1 -Wl,-soname,libtt_metal.so $^ -o $@

# ---- the targets ---------------------------------------------------------------------------

BENCH_PROGS := $(patsubst %,$(BENCH_BIN)/%,floor gen_events tracker_bench insn_survey map_lib \
	uprobe_cost $(BENCH_SIM_PROGS))

.PHONY: bench bench-build bench-deps

bench-deps:
	$(Q)scripts/install-deps.sh
	$(Q)bench/install-deps.sh

bench-build: $(TOOL) sim $(BENCH_PROGS) $(BENCH_VAR_LIBS) $(BENCH_OUT)/attach/libtt_metal.so

# Deps first (the build needs capstone), then a parallel build whatever -j was given.
bench: bench-deps
	$(Q)$(MAKE) --no-print-directory -j$(BENCH_JOBS) bench-build
	$(Q)$(PYTHON) bench/run_bench.py --build $(OUTPUT) --json $(BENCH_JSON) $(BENCH_ARGS)

-include $(wildcard $(BENCH_BIN)/*.d $(BENCH_OUT)/variants/*/*.d)
