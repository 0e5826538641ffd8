# The simulated tt-metal runtime (tests/sim/README.md), included by the top-level Makefile,
# which provides OUTPUT, CXX, PYTHON, Q and msg.
#
#   make sim         every era variant in every build: $(OUTPUT)/sim/<variant>/<build>/
#                    {libtt_metal.so, libttnn_sim.so, ttsim_workload}
#   make sim-check   exported names per era against docs/tt-metal-runtime.md, then the workloads
#                    against their ledgers
#   SIM_UNIT_BINS    cmocka tests, built and run by the top-level unit-test target
#
# Builds: g (-O2 -g), rel (-O3, no -g, -fomit-frame-pointer: the PyPI wheel), strip (rel after
# strip --strip-all), and for e5 fp (-fno-omit-frame-pointer: stack walking) and cf
# (-fcf-protection=full: endbr64 at every function start) and clang (clang++ -O3, no
# -fcf-protection, no frame pointer: how the PyPI wheel is really built), for e4 fp. The runtime is one translation
# unit per variant and build (it is small; this keeps 16 library builds within minutes).
# libttnn_sim.so and ttsim_workload are built once per variant and copied into each build
# directory, where RUNPATH $ORIGIN makes them load the libtt_metal.so beside them.

SIM_DIR      := tests/sim
SIM_OUT      := $(OUTPUT)/sim
SIM_VARIANTS := e1 e2 e3 e4 e5 pimpl e5x
SIM_BUILDS   := g rel strip
STRIP        ?= strip

SIM_CXXFLAGS := -fPIC -fvisibility-inlines-hidden -std=c++17 -Wall -Wextra -Werror -I$(SIM_DIR)/runtime -MMD -MP
SIM_FLAGS_g   := -O2 -g
SIM_FLAGS_rel := -O3 -fomit-frame-pointer
SIM_FLAGS_fp  := -O2 -fno-omit-frame-pointer
SIM_FLAGS_cf  := -O2 -fcf-protection=full
SIM_FLAGS_clang := -O3 -fomit-frame-pointer -fcf-protection=none
# The compiler of a build: $(CXX) unless the build names its own.
SIM_CXX_clang := $(CLANG)++
sim_cxx = $(or $(SIM_CXX_$(1)),$(CXX))
SIM_RT_SRCS  := $(sort $(wildcard $(SIM_DIR)/runtime/*.cpp))
SIM_RT_UNITY := $(SIM_OUT)/runtime_unity.cpp
SIM_LIB_LINK := -shared -Wl,-soname,libtt_metal.so -Wl,-z,defs
SIM_EXE_LINK := -Wl,--enable-new-dtags -Wl,-rpath,'$$$$ORIGIN'
SIM_ARTIFACTS := libtt_metal.so libttnn_sim.so ttsim_workload

# The sanitize target passes sanitizers in CFLAGS; the unit tests then link a runtime
# compiled under them.
SIM_SAN_FLAGS := $(filter -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(CFLAGS))
SIM_TEST_FLAGS := -O1 $(SIM_SAN_FLAGS)

SIM_UNIT_BINS :=
SIM_DEPS      :=

$(SIM_RT_UNITY): $(SIM_DIR)/sim.mk
	$(Q)mkdir -p $(@D)
	$(Q)printf '#include "%s"\n' $(abspath $(SIM_RT_SRCS)) > $@

# $(1): variant; $(2): build with its own compilation (g, rel, fp, cf).
define sim_compiled_build
$(SIM_OUT)/$(1)/$(2)/libtt_metal.so: $(SIM_RT_UNITY)
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(call sim_cxx,$(2)) $(SIM_CXXFLAGS) $(SIM_FLAGS_$(2)) -DTTSIM_ERA=$(1) $(SIM_LIB_LINK) $(LDFLAGS) $$< -o $$@

SIM_DEPS += $(SIM_OUT)/$(1)/$(2)/libtt_metal.d
endef

# $(1): variant; $(2): build directory that gets copies of the variant's programs.
define sim_programs_copy
$(SIM_OUT)/$(1)/$(2)/libttnn_sim.so $(SIM_OUT)/$(1)/$(2)/ttsim_workload: $(SIM_OUT)/$(1)/$(2)/%: $(SIM_OUT)/$(1)/bin/%
	$(Q)mkdir -p $$(@D) && cp $$< $$@.tmp && mv -f $$@.tmp $$@  # a running copy may be busy

sim: $(addprefix $(SIM_OUT)/$(1)/$(2)/,$(SIM_ARTIFACTS))
endef

# $(1): variant.
define sim_variant
$(eval $(call sim_compiled_build,$(1),g))
$(eval $(call sim_compiled_build,$(1),rel))

$(SIM_OUT)/$(1)/strip/libtt_metal.so: $(SIM_OUT)/$(1)/rel/libtt_metal.so
	$$(call msg,STRIP,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(STRIP) --strip-all -o $$@ $$<

# The programs only need the variant's headers and exported names: built once, against rel.
$(SIM_OUT)/$(1)/bin/%.o: $(SIM_DIR)/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) -O2 -DTTSIM_ERA=$(1) -c $$< -o $$@

$(SIM_OUT)/$(1)/bin/libttnn_sim.so: $(SIM_OUT)/$(1)/bin/ttnn_sim.o $(SIM_OUT)/$(1)/rel/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -shared -Wl,-soname,libttnn_sim.so -Wl,-z,defs $(SIM_EXE_LINK) $(LDFLAGS) $$^ -o $$@

$(SIM_OUT)/$(1)/bin/ttsim_workload: $(SIM_OUT)/$(1)/bin/workload.o $(SIM_OUT)/$(1)/rel/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) $(SIM_EXE_LINK) $(LDFLAGS) $$^ -o $$@

$(foreach b,$(SIM_BUILDS),$(eval $(call sim_programs_copy,$(1),$(b))))
SIM_DEPS += $(SIM_OUT)/$(1)/bin/ttnn_sim.d $(SIM_OUT)/$(1)/bin/workload.d
endef

# $(1): variant; $(2): build whose programs are compiled with its own flags too: a stack
# walk by frame pointers needs them in the workload as well, and -fcf-protection puts
# endbr64 in every function of the process.
define sim_programs_compiled
$(SIM_OUT)/$(1)/$(2)/obj/%.o: $(SIM_DIR)/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) $(SIM_FLAGS_$(2)) -DTTSIM_ERA=$(1) -c $$< -o $$@

$(SIM_OUT)/$(1)/$(2)/libttnn_sim.so: $(SIM_OUT)/$(1)/$(2)/obj/ttnn_sim.o $(SIM_OUT)/$(1)/$(2)/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -shared -Wl,-soname,libttnn_sim.so -Wl,-z,defs $(SIM_EXE_LINK) $(LDFLAGS) $$^ -o $$@

$(SIM_OUT)/$(1)/$(2)/ttsim_workload: $(SIM_OUT)/$(1)/$(2)/obj/workload.o $(SIM_OUT)/$(1)/$(2)/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) $(SIM_EXE_LINK) $(LDFLAGS) $$^ -o $$@

sim: $(addprefix $(SIM_OUT)/$(1)/$(2)/,$(SIM_ARTIFACTS))
SIM_DEPS += $(SIM_OUT)/$(1)/$(2)/obj/ttnn_sim.d $(SIM_OUT)/$(1)/$(2)/obj/workload.d
endef

$(foreach v,$(SIM_VARIANTS),$(eval $(call sim_variant,$(v))))
# fp for e5 (the wheel's era) and e4 (the last one with the CB tracking imbalance).
$(foreach b,e5/fp e5/cf e4/fp e5/clang,$(eval $(call sim_compiled_build,$(word 1,$(subst /, ,$(b))),$(word 2,$(subst /, ,$(b))))))
# The clang build's programs need no flags of their own: the g++ ones, copied.
$(eval $(call sim_programs_copy,e5,clang))
$(foreach b,e5/fp e5/cf e4/fp,$(eval $(call sim_programs_compiled,$(word 1,$(subst /, ,$(b))),$(word 2,$(subst /, ,$(b))))))

# ---- unit tests: the layout test for every variant; the others for the eras whose close
# path, CB reports or bank-manager signature differ.
SIM_TESTS_layout       := $(SIM_VARIANTS)
SIM_TESTS_program      := e1 e2 e3 e5
SIM_TESTS_ledger       := e1 e2 e3 e5
SIM_TESTS_bank_manager := e1 e5
SIM_TEST_VARIANTS      := $(SIM_VARIANTS)

# $(1): variant: the runtime as one object, compiled with the tests' flags.
define sim_test_runtime
$(SIM_OUT)/tests/$(1)/runtime.o: $(SIM_RT_UNITY)
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) $(SIM_TEST_FLAGS) -DTTSIM_ERA=$(1) -c $$< -o $$@
SIM_DEPS += $(SIM_OUT)/tests/$(1)/runtime.d
endef

# $(1): test name; $(2): variant.
define sim_test
$(SIM_OUT)/tests/$(2)/test_$(1).o: $(SIM_DIR)/unit/test_$(1).cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) $(SIM_TEST_FLAGS) -DTTSIM_ERA=$(2) -c $$< -o $$@

$(SIM_OUT)/tests/test_sim_$(1)_$(2): $(SIM_OUT)/tests/$(2)/test_$(1).o $(SIM_OUT)/tests/$(2)/runtime.o
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) $(SIM_TEST_FLAGS) $(LDFLAGS) $$^ -lcmocka -o $$@

SIM_UNIT_BINS += $(SIM_OUT)/tests/test_sim_$(1)_$(2)
SIM_DEPS += $(SIM_OUT)/tests/$(2)/test_$(1).d
endef

$(foreach v,$(SIM_TEST_VARIANTS),$(eval $(call sim_test_runtime,$(v))))
$(foreach t,layout program ledger bank_manager,$(foreach v,$(SIM_TESTS_$(t)),$(eval $(call sim_test,$(t),$(v)))))

.PHONY: sim sim-check

sim-check: sim
	$(Q)$(PYTHON) $(SIM_DIR)/check_exports.py --build $(SIM_OUT)
	$(Q)$(PYTHON) $(SIM_DIR)/check_workloads.py --build $(SIM_OUT)

-include $(sort $(SIM_DEPS))
