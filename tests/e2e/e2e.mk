# Extra builds of the simulated runtime (2026 generation) that the end-to-end
# tests need, included by the top-level Makefile:
#   gen2026-fp  -fno-omit-frame-pointer: the BPF side walks user stacks by frame
#               pointers, so the allocation-stack tests need code built with them;
#   gen2026-cf  -fcf-protection=full (Ubuntu's default): every function starts
#               with endbr64, so probes are placed after it (probe_placement.h).
E2E_SIM_FLAGS := -O2 -fPIC -fvisibility-inlines-hidden -std=c++17 -Wall -Wextra -Werror \
	-Itests/sim/runtime -Itests/sim -DTTSIM_GEN=2026
E2E_SIM_SRCS  := $(wildcard tests/sim/runtime/*.cpp)
E2E_SIM_HDRS  := $(wildcard tests/sim/runtime/*.hpp)
E2E_FIXTURES  :=

# $(1): variant name; $(2): its extra compiler flags.
define e2e_sim_variant
$(OUTPUT)/sim/gen2026-$(1)/libtt_metal.so: $(E2E_SIM_SRCS) $(E2E_SIM_HDRS)
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(E2E_SIM_FLAGS) $(2) -shared -Wl,-soname,libtt_metal.so $(E2E_SIM_SRCS) -o $$@

$(OUTPUT)/sim/gen2026-$(1)/ttsim_workload: tests/sim/workload.cpp $(OUTPUT)/sim/gen2026-$(1)/libtt_metal.so
	$$(call msg,CXX,$$@)
	$(Q)$(CXX) $(E2E_SIM_FLAGS) $(2) $$< $(OUTPUT)/sim/gen2026-$(1)/libtt_metal.so \
		-Wl,--enable-new-dtags -Wl,-rpath,'$$$$ORIGIN' -o $$@

E2E_FIXTURES += $(OUTPUT)/sim/gen2026-$(1)/libtt_metal.so $(OUTPUT)/sim/gen2026-$(1)/ttsim_workload
endef

$(eval $(call e2e_sim_variant,fp,-fno-omit-frame-pointer))
$(eval $(call e2e_sim_variant,cf,-fcf-protection=full))
