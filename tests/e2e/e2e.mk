# Extra builds the end-to-end tests need, included by the top-level Makefile.
#
# A frame-pointer build of the simulated runtime (2026 generation): the BPF
# side walks user stacks by frame pointers, so the allocation-stack tests
# need code built with them, as a user would build tt-metal for --stacks.
E2E_FP_DIR   := $(OUTPUT)/sim/gen2026-fp
E2E_FP_FLAGS := -O2 -fno-omit-frame-pointer -fPIC -fvisibility-inlines-hidden -std=c++17 \
	-Wall -Wextra -Werror -Itests/sim/runtime -Itests/sim -DTTSIM_GEN=2026
E2E_FP_SRCS  := $(wildcard tests/sim/runtime/*.cpp)
E2E_FIXTURES := $(E2E_FP_DIR)/libtt_metal.so $(E2E_FP_DIR)/ttsim_workload

$(E2E_FP_DIR)/libtt_metal.so: $(E2E_FP_SRCS) $(wildcard tests/sim/runtime/*.hpp)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(E2E_FP_FLAGS) -shared -Wl,-soname,libtt_metal.so $(E2E_FP_SRCS) -o $@

$(E2E_FP_DIR)/ttsim_workload: tests/sim/workload.cpp $(E2E_FP_DIR)/libtt_metal.so
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(E2E_FP_FLAGS) $< $(E2E_FP_DIR)/libtt_metal.so -Wl,--enable-new-dtags \
		-Wl,-rpath,'$$ORIGIN' -o $@
