# The simulated tt-metal runtime (tests/sim/README.md), included by the top-level Makefile,
# which provides OUTPUT, CXX, PYTHON, Q and msg.
#
#   make sim         both API generations: libtt_metal.so, libttnn_sim.so, ttsim_workload
#   make sim-check   exported names against TTMETAL_API.md, then the workloads against the ledger
#   SIM_UNIT_BINS    cmocka tests, built and run by the top-level unit-test target

SIM_DIR  := tests/sim
SIM_OUT  := $(OUTPUT)/sim
SIM_GENS := gen2026 gen2025

SIM_CXXFLAGS := -O2 -fPIC -fvisibility-inlines-hidden -std=c++17 -Wall -Wextra -Werror \
	-I$(SIM_DIR)/runtime -MMD -MP
# The sanitize target passes sanitizers in CFLAGS; the unit tests, which link the runtime
# statically, get them too (with the runtime compiled under them).
SIM_SAN_FLAGS := $(filter -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(CFLAGS))
SIM_RT_SRCS   := $(wildcard $(SIM_DIR)/runtime/*.cpp)
SIM_TESTS     := bank_manager layout program ledger

SIM_UNIT_BINS :=
SIM_DEPS      :=

# $(1): generation name (gen2026, gen2025); $(2): its TTSIM_GEN value.
define sim_generation
SIM_RT_OBJS_$(1) := $$(patsubst $(SIM_DIR)/runtime/%.cpp,$(SIM_OUT)/$(1)/obj/%.o,$(SIM_RT_SRCS))
# Without sanitizers the unit tests reuse the library's objects.
SIM_TEST_OBJDIR_$(1) := $$(if $$(SIM_SAN_FLAGS),$(SIM_OUT)/tests/$(1)/obj,$(SIM_OUT)/$(1)/obj)
SIM_TEST_RT_OBJS_$(1) := $$(patsubst $(SIM_DIR)/runtime/%.cpp,$$(SIM_TEST_OBJDIR_$(1))/%.o,$(SIM_RT_SRCS))

$(SIM_OUT)/$(1)/obj/%.o: $(SIM_DIR)/runtime/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) -DTTSIM_GEN=$(2) -c $$< -o $$@

$(SIM_OUT)/tests/$(1)/obj/%.o: $(SIM_DIR)/runtime/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) $(SIM_SAN_FLAGS) -DTTSIM_GEN=$(2) -c $$< -o $$@

$(SIM_OUT)/$(1)/obj/ttnn_sim.o $(SIM_OUT)/$(1)/obj/workload.o: $(SIM_OUT)/$(1)/obj/%.o: $(SIM_DIR)/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) -DTTSIM_GEN=$(2) -c $$< -o $$@

$(SIM_OUT)/$(1)/libtt_metal.so: $$(SIM_RT_OBJS_$(1))
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -shared -Wl,-soname,libtt_metal.so -Wl,-z,defs $(LDFLAGS) $$^ -o $$@

# Like _ttnn.so: finds libtt_metal.so next to itself through RUNPATH.
$(SIM_OUT)/$(1)/libttnn_sim.so: $(SIM_OUT)/$(1)/obj/ttnn_sim.o $(SIM_OUT)/$(1)/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -shared -Wl,-soname,libttnn_sim.so -Wl,-z,defs -Wl,--enable-new-dtags -Wl,-rpath,'$$$$ORIGIN' \
		$(LDFLAGS) $$^ -o $$@

$(SIM_OUT)/$(1)/ttsim_workload: $(SIM_OUT)/$(1)/obj/workload.o $(SIM_OUT)/$(1)/libtt_metal.so
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -Wl,--enable-new-dtags -Wl,-rpath,'$$$$ORIGIN' $(LDFLAGS) $$^ -o $$@

$(SIM_OUT)/tests/$(1)/test_%.o: $(SIM_DIR)/unit/test_%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) $(SIM_SAN_FLAGS) -DTTSIM_GEN=$(2) -c $$< -o $$@

# A static pattern rule, so that the objects count as explicit and are kept.
SIM_UNIT_BINS_$(1) := $$(patsubst %,$(SIM_OUT)/tests/test_sim_%_$(1),$(SIM_TESTS))
$$(SIM_UNIT_BINS_$(1)): $(SIM_OUT)/tests/test_sim_%_$(1): $(SIM_OUT)/tests/$(1)/test_%.o $$(SIM_TEST_RT_OBJS_$(1))
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) $(SIM_SAN_FLAGS) $(LDFLAGS) $$^ -lcmocka -o $$@

sim: $(SIM_OUT)/$(1)/libtt_metal.so $(SIM_OUT)/$(1)/libttnn_sim.so $(SIM_OUT)/$(1)/ttsim_workload
SIM_UNIT_BINS += $$(SIM_UNIT_BINS_$(1))
SIM_DEPS += $$(SIM_RT_OBJS_$(1):.o=.d) $$(SIM_TEST_RT_OBJS_$(1):.o=.d) \
	$(SIM_OUT)/$(1)/obj/ttnn_sim.d $(SIM_OUT)/$(1)/obj/workload.d \
	$$(patsubst %,$(SIM_OUT)/tests/$(1)/test_%.d,$(SIM_TESTS))
endef

$(eval $(call sim_generation,gen2026,2026))
$(eval $(call sim_generation,gen2025,2025))

# Build variants of a generation, for the tracer's symbol and layout sources:
#   $(SIM_OUT)/$(1)-g/         compiled with -g (DWARF, like a RelWithDebInfo build)
#   $(SIM_OUT)/$(1)-stripped/  the release library after strip --strip-all (.dynsym only)
# Each holds the same three artifacts. libttnn_sim.so and ttsim_workload are copies of the
# release ones: through RUNPATH $ORIGIN they load the libtt_metal.so beside them.
# $(1): generation name; $(2): its TTSIM_GEN value.
define sim_variants
SIM_RT_OBJS_$(1)-g := $$(patsubst $(SIM_DIR)/runtime/%.cpp,$(SIM_OUT)/$(1)-g/obj/%.o,$(SIM_RT_SRCS))

$(SIM_OUT)/$(1)-g/obj/%.o: $(SIM_DIR)/runtime/%.cpp
	$$(call msg,CXX,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CXX) $(SIM_CXXFLAGS) -g -DTTSIM_GEN=$(2) -c $$< -o $$@

$(SIM_OUT)/$(1)-g/libtt_metal.so: $$(SIM_RT_OBJS_$(1)-g)
	$$(call msg,LINK,$$@)
	$(Q)$(CXX) -shared -Wl,-soname,libtt_metal.so -Wl,-z,defs $(LDFLAGS) $$^ -o $$@

$(SIM_OUT)/$(1)-stripped/libtt_metal.so: $(SIM_OUT)/$(1)/libtt_metal.so
	$$(call msg,STRIP,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$$(STRIP) --strip-all -o $$@ $$<

$(SIM_OUT)/$(1)-g/libttnn_sim.so $(SIM_OUT)/$(1)-stripped/libttnn_sim.so: $(SIM_OUT)/$(1)/libttnn_sim.so
	$(Q)mkdir -p $$(@D) && cp $$< $$@
$(SIM_OUT)/$(1)-g/ttsim_workload $(SIM_OUT)/$(1)-stripped/ttsim_workload: $(SIM_OUT)/$(1)/ttsim_workload
	$(Q)mkdir -p $$(@D) && cp $$< $$@

sim: $$(foreach v,g stripped,$$(addprefix $(SIM_OUT)/$(1)-$$(v)/,libtt_metal.so libttnn_sim.so ttsim_workload))
SIM_DEPS += $$(SIM_RT_OBJS_$(1)-g:.o=.d)
endef

$(eval $(call sim_variants,gen2026,2026))
$(eval $(call sim_variants,gen2025,2025))

.PHONY: sim sim-check

sim-check: sim
	$(Q)$(PYTHON) $(SIM_DIR)/check_exports.py --gen2026 $(SIM_OUT)/gen2026/libtt_metal.so \
		--gen2025 $(SIM_OUT)/gen2025/libtt_metal.so
	$(Q)$(PYTHON) $(SIM_DIR)/check_workloads.py --build $(SIM_OUT)

-include $(sort $(SIM_DEPS))
