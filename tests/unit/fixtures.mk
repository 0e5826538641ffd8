# Fixture libraries for the unit tests (included from the top Makefile after
# UNIT_BINS is defined).
#
# tests/unit/fixtures/ttmetal_decls.cpp declares the tt-metal functions of each
# API generation; g++ turns it into shared libraries carrying the real Itanium
# mangled names, which tests/unit/test_symbols.c resolves:
#   libgen2024.so          late 2024 (inline namespace v0), no -g, linked at
#                          0x400000 so that addresses differ from file offsets
#   libgen2025.so          mid 2025, no -g
#   libgen2026.so          2026 main, with -g (.debug_info, .symtab)
#   libgen2026-stripped.so the same, stripped: .dynsym only
#   libgen2026-cut.so      the same with a .symtab cut down to the hidden helper
#                          after linking: smaller than .dynsym, so both are read
# They live in $(OUTPUT)/tests/fixtures, next to the test binaries; the tests
# find them from /proc/self/exe (override with TTLEAK_FIXTURE_DIR=DIR).
# They are read at run time, not linked, so they are order-only prerequisites:
# building a test makes them, changing them does not relink the test.
#
# BENCH_FIXTURES: a generated library with 300,000+ functions for measuring
# symbol resolution (slow to compile, so not built by the unit tests):
#   make $(OUTPUT)/bench/libbig.so
#   TTLEAK_BENCH_LIB=$(OUTPUT)/bench/libbig.so $(OUTPUT)/tests/test_symbols

STRIP            ?= strip
FIXTURE_DIR      := $(OUTPUT)/tests/fixtures
FIXTURE_SRC      := tests/unit/fixtures/ttmetal_decls.cpp
FIXTURE_GEN_LIBS := $(FIXTURE_DIR)/libgen2024.so $(FIXTURE_DIR)/libgen2025.so \
		    $(FIXTURE_DIR)/libgen2026.so
UNIT_FIXTURES    := $(FIXTURE_GEN_LIBS) $(FIXTURE_DIR)/libgen2026-stripped.so \
		    $(FIXTURE_DIR)/libgen2026-cut.so
# -O2 like a release build (destructor aliases, no frame noise); the build id
# lets tests compare a library with its stripped copy.
FIXTURE_CXXFLAGS := -O2 -fPIC -shared -std=c++17 -Wall -Wextra -Werror -Wl,--build-id=sha1

$(FIXTURE_DIR):
	$(Q)mkdir -p $@

$(FIXTURE_DIR)/libgen2026.so: FIXTURE_EXTRA := -g
$(FIXTURE_DIR)/libgen2024.so: FIXTURE_EXTRA := -Wl,-Ttext-segment=0x400000

$(FIXTURE_GEN_LIBS): $(FIXTURE_DIR)/libgen%.so: $(FIXTURE_SRC) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(FIXTURE_CXXFLAGS) $(FIXTURE_EXTRA) -DTTLEAK_GEN=$* $< -o $@

$(FIXTURE_DIR)/libgen2026-stripped.so: $(FIXTURE_DIR)/libgen2026.so
	$(call msg,STRIP,$@)
	$(Q)$(STRIP) -o $@ $<

$(FIXTURE_DIR)/libgen2026-cut.so: $(FIXTURE_DIR)/libgen2026.so
	$(call msg,STRIP,$@)
	$(Q)$(STRIP) --keep-symbol=_ZN2tt8tt_metal6detail13hidden_helperEi -o $@ $<

$(OUTPUT)/tests/test_symbols: | $(UNIT_FIXTURES)

# Fixtures of tests/unit/test_layout_dwarf.c: layout_classes.cpp (Buffer, BufferImpl,
# Device with members) after layout_decl_only.cpp (the same classes declared only), -g:
#   libdwarf20{26,25,24}.so     one per API generation
#   libdwarf2026-dwarf2.so      DWARF 2: member offsets as DW_OP_plus_uconst expressions
#   libdwarf2026-types.so       DWARF 4 type units (.debug_types)
#   libdwarf2026-nodebug.so     strip --strip-debug; libdwarf2026.debug its separate DWARF
#   libdwarf2026-split.so       the same with a .gnu_debuglink to libdwarf2026.debug
LAYOUT_FIXTURE_SRCS := tests/unit/fixtures/layout_decl_only.cpp tests/unit/fixtures/layout_classes.cpp
LAYOUT_FIXTURE_GENS := $(patsubst %,$(FIXTURE_DIR)/libdwarf%.so,2026 2025 2024 2026-dwarf2 2026-types)
LAYOUT_FIXTURES     := $(LAYOUT_FIXTURE_GENS) $(FIXTURE_DIR)/libdwarf2026.debug \
		       $(FIXTURE_DIR)/libdwarf2026-nodebug.so $(FIXTURE_DIR)/libdwarf2026-split.so

$(FIXTURE_DIR)/libdwarf2026-dwarf2.so: LAYOUT_FIXTURE_DEBUG := -gdwarf-2
$(FIXTURE_DIR)/libdwarf2026-types.so: LAYOUT_FIXTURE_DEBUG := -gdwarf-4 -fdebug-types-section

$(LAYOUT_FIXTURE_GENS): $(FIXTURE_DIR)/libdwarf%.so: $(LAYOUT_FIXTURE_SRCS) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(FIXTURE_CXXFLAGS) $(or $(LAYOUT_FIXTURE_DEBUG),-g) \
		-DTTLEAK_GEN=$(firstword $(subst -, ,$*)) $(LAYOUT_FIXTURE_SRCS) -o $@

$(FIXTURE_DIR)/libdwarf2026.debug: $(FIXTURE_DIR)/libdwarf2026.so
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(FIXTURE_DIR)/libdwarf2026-nodebug.so: $(FIXTURE_DIR)/libdwarf2026.so
	$(call msg,STRIP,$@)
	$(Q)$(STRIP) --strip-debug -o $@ $<

$(FIXTURE_DIR)/libdwarf2026-split.so: $(FIXTURE_DIR)/libdwarf2026-nodebug.so $(FIXTURE_DIR)/libdwarf2026.debug
	$(call msg,OBJCOPY,$@)
	$(Q)cd $(@D) && objcopy --add-gnu-debuglink=libdwarf2026.debug $(<F) $(@F)

# libdwarf-deep.so: Buffer six inline namespaces deep, past the reader's bound.
$(FIXTURE_DIR)/libdwarf-deep.so: tests/unit/fixtures/layout_deep_ns.cpp tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(FIXTURE_CXXFLAGS) -g $< -o $@
LAYOUT_FIXTURES += $(FIXTURE_DIR)/libdwarf-deep.so

$(OUTPUT)/tests/test_layout_dwarf: | $(LAYOUT_FIXTURES) $(FIXTURE_GEN_LIBS)

BENCH_DIR      := $(OUTPUT)/bench
BENCH_FIXTURES := $(BENCH_DIR)/libbig.so
# Split in parts so that make -j compiles them in parallel.
BENCH_BIG_PARTS := 0 1 2 3 4 5 6 7
BENCH_BIG_SRCS  := $(patsubst %,$(BENCH_DIR)/big/part%.cpp,$(BENCH_BIG_PARTS))
BENCH_BIG_OBJS  := $(BENCH_BIG_SRCS:.cpp=.o) $(BENCH_DIR)/big/ttmetal_gen2026.o

# One generator run writes every part (a grouped target, GNU make >= 4.3).
$(BENCH_BIG_SRCS) &: tests/unit/gen_big_lib.py
	$(call msg,GEN,$(BENCH_DIR)/big)
	$(Q)mkdir -p $(BENCH_DIR)/big
	$(Q)$(PYTHON) tests/unit/gen_big_lib.py --out-dir $(BENCH_DIR)/big \
		--parts $(words $(BENCH_BIG_PARTS))

$(BENCH_DIR)/big/%.o: $(BENCH_DIR)/big/%.cpp
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O0 -fPIC -std=c++17 -c $< -o $@

# The real probe targets, as in libgen2026.so.
$(BENCH_DIR)/big/ttmetal_gen2026.o: $(FIXTURE_SRC)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) -O2 -fPIC -std=c++17 -DTTLEAK_GEN=2026 -c $< -o $@

$(BENCH_DIR)/libbig.so: $(BENCH_BIG_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CXX) -shared -Wl,--build-id=sha1 $^ -o $@

# Fixtures of tests/unit/test_layout_evidence.c: tests/unit/fixtures/layout_evidence_lib.cpp
# (Buffer's out-of-line accessors, Device with an inline virtual id(), MeshDevice) without
# -g, one per layout and compiler, as release builds are made:
#   libev-{e1,e2,pimpl,shifted}-{gcc-O2,gcc-O3,clang-O3}.so    .symtab kept
#   libev-...-stripped.so                                       strip --strip-all: .dynsym only
#   libev-contradict.so    num_pages() divides by another field than page_size() returns
#   libev-noacc.so         no Buffer accessors at all
EV_GXX             ?= g++
EV_CLANGXX         ?= clang++
EV_FIXTURE_SRC     := tests/unit/fixtures/layout_evidence_lib.cpp
EV_FIXTURE_FLAGS   := -fPIC -shared -std=c++17 -Wall -Wextra -Werror -fvisibility-inlines-hidden \
		      -Wl,--build-id=sha1
EV_LAYOUT_e1       := -DLE_LAYOUT=1 -DLE_DEVICE_ID=8 -DLE_MESH_PIMPL=0
EV_LAYOUT_e2       := -DLE_LAYOUT=2 -DLE_DEVICE_ID=8 -DLE_MESH_PIMPL=0
EV_LAYOUT_pimpl    := -DLE_LAYOUT=3 -DLE_DEVICE_ID=24 -DLE_MESH_PIMPL=1
EV_LAYOUT_shifted  := -DLE_LAYOUT=4 -DLE_DEVICE_ID=24 -DLE_MESH_PIMPL=1
EV_CC_gcc-O2       := $(EV_GXX) -O2
EV_CC_gcc-O3       := $(EV_GXX) -O3 -fomit-frame-pointer
EV_CC_clang-O3     := $(EV_CLANGXX) -O3
EV_LAYOUTS         := e1 e2 pimpl shifted
EV_COMPILERS       := gcc-O2 gcc-O3 clang-O3
EV_BUILDS          := $(foreach l,$(EV_LAYOUTS),$(foreach c,$(EV_COMPILERS),$(l)-$(c)))
EV_FIXTURES        := $(patsubst %,$(FIXTURE_DIR)/libev-%.so,$(EV_BUILDS)) \
		      $(patsubst %,$(FIXTURE_DIR)/libev-%-stripped.so,$(EV_BUILDS)) \
		      $(FIXTURE_DIR)/libev-contradict.so $(FIXTURE_DIR)/libev-noacc.so

define EV_FIXTURE_RULE
$(FIXTURE_DIR)/libev-$(1)-$(2).so: $(EV_FIXTURE_SRC) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$$(call msg,CXX,$$@)
	$$(Q)$$(EV_CC_$(2)) $$(EV_FIXTURE_FLAGS) $$(EV_LAYOUT_$(1)) $$< -o $$@
endef
$(foreach l,$(EV_LAYOUTS),$(foreach c,$(EV_COMPILERS),$(eval $(call EV_FIXTURE_RULE,$(l),$(c)))))

$(FIXTURE_DIR)/libev-%-stripped.so: $(FIXTURE_DIR)/libev-%.so
	$(call msg,STRIP,$@)
	$(Q)$(STRIP) --strip-all -o $@ $<

$(FIXTURE_DIR)/libev-contradict.so: $(EV_FIXTURE_SRC) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(EV_CC_gcc-O2) $(EV_FIXTURE_FLAGS) $(EV_LAYOUT_e2) -DLE_CONTRADICT=1 $< -o $@

$(FIXTURE_DIR)/libev-noacc.so: $(EV_FIXTURE_SRC) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(EV_CC_gcc-O2) $(EV_FIXTURE_FLAGS) $(EV_LAYOUT_e2) -DLE_NO_ACCESSORS=1 $< -o $@

$(OUTPUT)/tests/test_layout_evidence: | $(EV_FIXTURES)

$(OUTPUT)/tests/test_layout_select: | $(EV_FIXTURES)

# Fixtures of tests/unit/test_probe_placement.c: tests/unit/fixtures/placement_lib.cpp
# (probed functions shaped like the real ones) as release builds are made:
#   libplace-clang-O3.so     clang++ -O3, no -fcf-protection (the PyPI wheel)
#   libplace-gcc-O2.so       g++ -O2, no -fcf-protection
#   libplace-gcc-O2-cf.so    g++ -O2 -fcf-protection=full: endbr64 first
PLACE_FIXTURE_SRC   := tests/unit/fixtures/placement_lib.cpp
PLACE_FIXTURE_FLAGS := -fPIC -shared -std=c++17 -Wall -Wextra -Werror
PLACE_CC_clang-O3   := $(EV_CLANGXX) -O3 -fcf-protection=none
PLACE_CC_gcc-O2     := $(EV_GXX) -O2 -fcf-protection=none
PLACE_CC_gcc-O2-cf  := $(EV_GXX) -O2 -fcf-protection=full
PLACE_FIXTURES      := $(patsubst %,$(FIXTURE_DIR)/libplace-%.so,clang-O3 gcc-O2 gcc-O2-cf)

$(PLACE_FIXTURES): $(FIXTURE_DIR)/libplace-%.so: $(PLACE_FIXTURE_SRC) tests/unit/fixtures.mk | $(FIXTURE_DIR)
	$(call msg,CXX,$@)
	$(Q)$(PLACE_CC_$*) $(PLACE_FIXTURE_FLAGS) $< -o $@

$(OUTPUT)/tests/test_probe_placement: | $(PLACE_FIXTURES)
