# ttleak-bpf: find device-memory leaks in tt-metal programs with eBPF.
#
#   make            build the tracer and the gate (make sim: the simulated runtimes)
#   make deps       install missing build dependencies (Debian, apt-get)
#   make test       install deps, build, run unit and end-to-end tests (root for BPF)
#   make demo       trace the simulated runtime running the seeds' scenario (root)
#   make deb        the Debian package (packaging/, docs/deploy.md)
#   make V=1        show full commands
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUTPUT   ?= build
# make test and make demo build with every core (their sub-makes get -j$(JOBS)).
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CC       ?= cc
CXX      ?= c++
CLANG    ?= clang
BPFTOOL  ?= bpftool
PYTHON   ?= python3
PREFIX   ?= /usr/local
ARCH     := x86

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARNINGS := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
# Flags the build needs whatever CFLAGS the user gives (make CFLAGS=...).
ALL_CFLAGS = $(CFLAGS) $(WARNINGS) -std=gnu11 -Iinclude -Iuser -I$(OUTPUT) -MMD -MP
LDLIBS   += -lbpf -lelf -ldw -lz -ljson-c -lcapstone -lstdc++

# BPF objects are compiled by clang whatever CC is.
# BPF_KPROBE declares ctx and every argument whether used or not.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARNINGS) -Wno-unused-parameter \
	-Iinclude -Ivmlinux -I$(OUTPUT)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

# user/ holds the entry points (main.c, cli.c, the gate); each folder is one
# layer (docs/ARCHITECTURE.md): attach/ finds the runtime and attaches BPF,
# elf/ reads the runtime's files, model/ turns events into findings, report/
# writes them. Every layer goes into one static library, so unit tests link
# what they use and the tool adds main.c.
USER_LAYERS    := attach elf model report pipeline
USER_LIB_SRCS  := user/cli.c $(foreach d,$(USER_LAYERS),$(wildcard user/$(d)/*.c))
USER_LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_LIB_SRCS))
USER_MAIN_OBJ  := $(OUTPUT)/user/main.o
CORE_LIB       := $(OUTPUT)/libttleak_core.a
TOOL           := $(OUTPUT)/ttleak-bpf
GATE           := $(OUTPUT)/ttleak-gate

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

# The simulated runtimes (tests/sim) are built by the targets that run them.
all: $(TOOL) $(GATE)

include tests/sim/sim.mk
include tests/unit/fixtures.mk
include tests/e2e/e2e.mk
include bench/bench.mk
include tests/fuzz/fuzz.mk

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c include/ttleak_event.h vmlinux/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Keep the BPF object: it is an input of the skeleton, not a throwaway.
.SECONDARY: $(BPF_OBJS)

# The loader includes the generated skeleton; make it before compiling.
$(OUTPUT)/user/attach/bpf_loader.o: $(SKELS)

$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(CORE_LIB): $(USER_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(TOOL): $(USER_MAIN_OBJ) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The gate finds the tracer beside itself.
$(GATE): user/ttleak-gate | $(OUTPUT)
	$(call msg,COPY,$@)
	$(Q)install -m 0755 $< $@

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(CORE_LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(CORE_LIB) $(LDLIBS) -lcmocka -o $@

.PHONY: all deps test unit-test e2e-test demo install clean vmlinux sanitize clang-check deb completion

# The version argp prints (ttleak-bpf --version), one place for it.
VERSION := $(shell sed -n 's/.*argp_program_version = "ttleak-bpf \(.*\)";/\1/p' user/cli.c)
DEB := $(OUTPUT)/ttleak-bpf_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null || echo amd64).deb
COMPLETIONS := $(OUTPUT)/completion/ttleak-bpf $(OUTPUT)/completion/ttleak-gate

# Bash completion, generated from each command's own --help.
$(OUTPUT)/completion/%: $(OUTPUT)/% scripts/gen-completion.py
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/gen-completion.py $< $* > $@

completion: $(COMPLETIONS)

deb: $(DEB)
$(DEB): $(TOOL) $(GATE) $(COMPLETIONS) man/ttleak-bpf.8 man/ttleak-gate.8 scripts/make-deb.sh \
		$(wildcard packaging/deb/* packaging/systemd/*)
	$(call msg,DEB,$@)
	$(Q)scripts/make-deb.sh $(OUTPUT) $(VERSION) >/dev/null

deps:
	$(Q)scripts/install-deps.sh

unit-test: $(UNIT_BINS) $(SIM_UNIT_BINS)
	$(Q)scripts/run-unit-tests.sh $(UNIT_BINS) $(SIM_UNIT_BINS)

# Unpacked, not installed (scripts/test-tools.sh says why).
TEST_TOOLS := $(OUTPUT)/test-tools
$(TEST_TOOLS)/usr/bin/prometheus-node-exporter:
	$(call msg,UNPACK,$@)
	$(Q)scripts/test-tools.sh $(TEST_TOOLS)

$(TEST_TOOLS)/k8s/node_modules/kubernetes-models/package.json:
	$(call msg,NPM,$@)
	$(Q)scripts/test-tools.sh $(TEST_TOOLS)

$(TEST_TOOLS)/clean-root/.complete:
	$(call msg,ROOTFS,$(@D))
	$(Q)scripts/clean-root.sh $(@D)

e2e-test: $(TOOL) $(GATE) sim $(E2E_FIXTURES) $(TEST_TOOLS)/usr/bin/prometheus-node-exporter \
		$(TEST_TOOLS)/clean-root/.complete \
		$(TEST_TOOLS)/k8s/node_modules/kubernetes-models/package.json $(DEB)
	$(Q)$(PYTHON) tests/e2e/run_e2e.py --build $(OUTPUT)

# The README's test command: everything, from a fresh machine.
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all sim
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) unit-test sim-check
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) sanitize clang-check
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) fuzz-smoke
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) e2e-test

# Unit tests again under AddressSanitizer and UBSan, in a separate build tree.
sanitize:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" unit-test

# The tool built by clang with the same -Werror flags, and the stack test
# that only a clang build exercises: clang's DWARF 5 units have no
# .debug_aranges, so source lines come from elf/unit_ranges.c.
clang-check:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/clang CC=$(CLANG) \
		$(OUTPUT)/clang/ttleak-bpf $(OUTPUT)/clang/tests/test_stacks
	$(Q)$(OUTPUT)/clang/tests/test_stacks

demo: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all sim
	$(Q)scripts/demo.sh $(OUTPUT)

install: $(TOOL) $(GATE) $(COMPLETIONS)
	install -D -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/sbin/ttleak-bpf
	install -D -m 0755 $(GATE) $(DESTDIR)$(PREFIX)/sbin/ttleak-gate
	install -D -m 0644 man/ttleak-bpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/ttleak-bpf.8
	install -D -m 0644 man/ttleak-gate.8 $(DESTDIR)$(PREFIX)/share/man/man8/ttleak-gate.8
	install -D -m 0644 $(OUTPUT)/completion/ttleak-bpf \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/ttleak-bpf
	install -D -m 0644 $(OUTPUT)/completion/ttleak-gate \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/ttleak-gate

# Regenerate the checked-in vmlinux.h from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/user/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/bpf/*.d $(OUTPUT)/tests/*.d)
