# libFuzzer harnesses for the parsers that read untrusted input:
#   fuzz_event_log   the --replay event log reader   (user/model/event_log.c, pipeline/run_record_read.c)
#   fuzz_proc_maps   the /proc/PID/maps parser       (user/attach/proc_maps.c)
#   fuzz_layout      the --layout file parser        (user/elf/layout.c)
#   fuzz_elf         the runtime library's ELF/DWARF readers (user/elf/layout_dwarf.c,
#                    user/elf/layout_evidence.c, user/elf/symbols.c)
# Included from the top Makefile.
#
#   make fuzz                 each harness for FUZZ_TIME seconds (default 60)
#   make fuzz FUZZ_TIME=600   longer
#   make fuzz-smoke           each for FUZZ_SMOKE_TIME seconds (default 10),
#                             a quick check for make test
#
# Needs clang with libFuzzer (FUZZ_CC). Seeds are in tests/fuzz/corpus/NAME
# (read only); what the fuzzer finds goes to $(OUTPUT)/fuzz/corpus/NAME, and
# a crashing input to $(OUTPUT)/fuzz/crash/NAME-*: run the harness on that
# file to reproduce it, fix the parser, and add the file to the seeds.

FUZZ_CC         ?= $(CLANG)
FUZZ_TIME       ?= 60
FUZZ_SMOKE_TIME ?= 10
FUZZ_DIR        := $(OUTPUT)/fuzz
FUZZ_NAMES      := event_log proc_maps layout elf
FUZZ_BINS       := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_CFLAGS     := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all $(WARNINGS) -std=gnu11 -Iinclude -Iuser

# Each harness links the one module it exercises (plain C, no libbpf).
# The event log's reader and the reader of its metadata section.
$(FUZZ_DIR)/fuzz_event_log: user/model/event_log.c user/report/output_file.c user/elf/file_kind.c \
			    user/pipeline/run_record_read.c user/model/process_labels.c
$(FUZZ_DIR)/fuzz_proc_maps: user/attach/proc_maps.c
$(FUZZ_DIR)/fuzz_layout: user/elf/layout.c user/elf/file_kind.c

$(FUZZ_DIR):
	$(Q)mkdir -p $@/crash

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.mk | $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) $(FUZZ_LDLIBS) -o $@

# $(1): harness name, $(2): seconds. New inputs go to the first corpus
# directory, never to the committed seeds.
define fuzz_run
	$(call msg,FUZZ,$(1) $(2) s)
	$(Q)mkdir -p $(FUZZ_DIR)/corpus/$(1)
	$(Q)$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(2) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/crash/$(1)- $(FUZZ_DIR)/corpus/$(1) \
		tests/fuzz/corpus/$(1) 2>$(FUZZ_DIR)/$(1).log || \
		{ tail -n 40 $(FUZZ_DIR)/$(1).log; echo "fuzz: $(1) failed; see $(FUZZ_DIR)/$(1).log"; exit 1; }
	$(Q)grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' $(FUZZ_DIR)/$(1).log | \
		sed 's/^/  $(1): /'

endef

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(foreach h,$(FUZZ_NAMES),$(call fuzz_run,$(h),$(FUZZ_TIME)))

fuzz-smoke: $(FUZZ_BINS)
	$(foreach h,$(FUZZ_NAMES),$(call fuzz_run,$(h),$(FUZZ_SMOKE_TIME)))

# fuzz_elf: the library's ELF/DWARF readers, with what they link (libelf,
# libdw, capstone, and libstdc++ for __cxa_demangle). Its seeds
# (tests/fuzz/corpus/elf/) are small ELF files: a -g library with
# tt::tt_metal::Buffer six inline namespaces deep, one with a .gnu_debuglink,
# a truncated one, one whose symbol table header claims 40 TB (a reservation
# sized by the header once asked for that much).
$(FUZZ_DIR)/fuzz_elf: user/elf/layout_dwarf.c user/elf/layout_evidence.c user/elf/symbols.c user/elf/elf_symtab.c user/elf/sort_by_address.c user/elf/demangle.c user/elf/file_kind.c
$(FUZZ_DIR)/fuzz_elf: FUZZ_LDLIBS := -lelf -ldw -lz -lcapstone -lstdc++
