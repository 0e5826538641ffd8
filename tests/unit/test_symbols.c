// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for user/symbols.c, on shared libraries g++ built from
 * tests/unit/fixtures/ttmetal_decls.cpp (see tests/unit/fixtures.mk): real
 * mangled names of the three tt-metal API generations.
 *
 * Fixtures are looked up in TTLEAK_FIXTURE_DIR, else in fixtures/ next to
 * this binary ($(OUTPUT)/tests/fixtures).
 * With TTLEAK_BENCH_LIB=PATH, test_bench_big_library times symbols__resolve
 * on PATH (make $(OUTPUT)/bench/libbig.so); without it, that test is skipped.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fixture_dir.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "elf/symbols.h"

/* The probe list, as the tracer would give it; one entry per wanted function. */
enum {
	W_TRACK_ALLOC, W_TRACK_ALLOC_CB, W_TRACK_DEALLOC_CB, W_ALLOC_CBS, W_PROGRAM_DTOR,
	W_ALLOC_BUFFER, W_BANK_ALLOC, W_DEVICE_DTOR, W_DEVICE_CLOSE, W_BUFFER_NAME,
	W_HIDDEN, W_C_FUNC, W_COUNT
};
static const char *const n_track_alloc[] = { "tt::tt_metal::GraphTracker::track_allocate" };
static const char *const n_track_alloc_cb[] = { "tt::tt_metal::GraphTracker::track_allocate_cb" };
static const char *const n_track_dealloc_cb[] = { "tt::tt_metal::GraphTracker::track_deallocate_cb" };
static const char *const n_alloc_cbs[] = {
	"tt::tt_metal::detail::ProgramImpl::allocate_circular_buffers",
	"tt::tt_metal::Program::allocate_circular_buffers",
};
static const char *const n_program_dtor[] = {
	"tt::tt_metal::detail::ProgramImpl::~ProgramImpl",
	"tt::tt_metal::Program::~Program",
};
static const char *const n_alloc_buffer[] = {
	"tt::tt_metal::AllocatorImpl::allocate_buffer",
	"tt::tt_metal::Allocator::allocate_buffer",
};
static const char *const n_bank_alloc[] = { "tt::tt_metal::BankManager::allocate_buffer" };
static const char *const n_device_dtor[] = { "tt::tt_metal::Device::~Device" };
static const char *const n_device_close[] = { "tt::tt_metal::Device::close" };
static const char *const n_buffer_name[] = { "tt::tt_metal::Buffer::name" };
static const char *const n_hidden[] = { "tt::tt_metal::detail::hidden_helper" };
static const char *const n_c_func[] = { "ttleak_fixture_c_function" };

#define WANT(names) { names, sizeof(names) / sizeof(names[0]) }
static const struct sym_want wants[W_COUNT] = {
	[W_TRACK_ALLOC] = WANT(n_track_alloc),
	[W_TRACK_ALLOC_CB] = WANT(n_track_alloc_cb),
	[W_TRACK_DEALLOC_CB] = WANT(n_track_dealloc_cb),
	[W_ALLOC_CBS] = WANT(n_alloc_cbs),
	[W_PROGRAM_DTOR] = WANT(n_program_dtor),
	[W_ALLOC_BUFFER] = WANT(n_alloc_buffer),
	[W_BANK_ALLOC] = WANT(n_bank_alloc),
	[W_DEVICE_DTOR] = WANT(n_device_dtor),
	[W_DEVICE_CLOSE] = WANT(n_device_close),
	[W_BUFFER_NAME] = WANT(n_buffer_name),
	[W_HIDDEN] = WANT(n_hidden),
	[W_C_FUNC] = WANT(n_c_func),
};

static char fixture_dir[PATH_MAX];

static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static size_t count_for(const struct sym_result *r, size_t want)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->matches[i].want == want;
	return n;
}

/* The only match of want, which must have resolved through alternative name_index. */
static const struct sym_match *only(const struct sym_result *r, size_t want, size_t name_index)
{
	const struct sym_match *m = NULL;

	assert_int_equal(count_for(r, want), 1);
	for (size_t i = 0; i < r->n; i++)
		if (r->matches[i].want == want)
			m = &r->matches[i];
	assert_int_equal(m->name_index, name_index);
	return m;
}

static void resolve_fixture(const char *name, struct sym_result *r)
{
	int err = symbols__resolve(fixture(name), wants, W_COUNT, r);

	if (err)
		fail_msg("symbols__resolve(%s) = %d; build the fixtures: make %s", fixture(name), err,
			 "$(OUTPUT)/tests/test_symbols");
}

static void assert_not_d0(const struct sym_match *m)
{
	size_t n = strlen(m->symbol);

	assert_true(n > 4);
	assert_string_not_equal(m->symbol + n - 4, "D0Ev");
}

static void test_gen2024(void **state)
{
	struct sym_result r;
	const struct sym_match *m;

	(void)state;
	resolve_fixture("libgen2024.so", &r);
	m = only(&r, W_ALLOC_CBS, 1);
	/* v0:: is normalized away in params, kept in the demangled name. */
	assert_string_equal(m->params, "(tt::tt_metal::Device const*)");
	assert_string_equal(m->demangled,
			    "tt::tt_metal::v0::Program::allocate_circular_buffers(tt::tt_metal::v0::Device const*)");
	/* D1 and D2 share one address: one match. */
	m = only(&r, W_PROGRAM_DTOR, 1);
	assert_string_equal(m->demangled, "tt::tt_metal::v0::Program::~Program()");
	assert_string_equal(only(&r, W_TRACK_DEALLOC_CB, 0)->params, "()");
	assert_string_equal(only(&r, W_BUFFER_NAME, 0)->params, "() const");
	only(&r, W_TRACK_ALLOC, 0);
	only(&r, W_TRACK_ALLOC_CB, 0);
	only(&r, W_ALLOC_BUFFER, 1);
	only(&r, W_BANK_ALLOC, 0);
	only(&r, W_DEVICE_CLOSE, 0);
	assert_not_d0(only(&r, W_DEVICE_DTOR, 0));
	assert_int_equal(count_for(&r, W_HIDDEN), 0);
	assert_string_equal(only(&r, W_C_FUNC, 0)->params, "");
	assert_true(r.has_symtab);
	assert_false(r.has_debuginfo);
	assert_int_equal(strlen(r.build_id), 40);
	sym_result__free(&r);
}

static void test_gen2025(void **state)
{
	struct sym_result r;

	(void)state;
	resolve_fixture("libgen2025.so", &r);
	assert_string_equal(only(&r, W_ALLOC_CBS, 1)->params, "(tt::tt_metal::IDevice const*)");
	assert_string_equal(only(&r, W_PROGRAM_DTOR, 1)->demangled, "tt::tt_metal::Program::~Program()");
	assert_string_equal(only(&r, W_TRACK_DEALLOC_CB, 0)->params, "()");
	assert_string_equal(only(&r, W_BANK_ALLOC, 0)->params,
			    "(unsigned long, unsigned long, bool, CoreRangeSet const&, "
			    "std::optional<unsigned int>)");
	only(&r, W_ALLOC_BUFFER, 1);
	only(&r, W_TRACK_ALLOC, 0);
	only(&r, W_TRACK_ALLOC_CB, 0);
	only(&r, W_DEVICE_CLOSE, 0);
	/* ~Device is virtual: D0 (deleting) exists but is not reported. */
	assert_not_d0(only(&r, W_DEVICE_DTOR, 0));
	sym_result__free(&r);
}

static void test_gen2026(void **state)
{
	struct sym_result r;
	const struct sym_match *m;

	(void)state;
	resolve_fixture("libgen2026.so", &r);
	only(&r, W_ALLOC_CBS, 0);
	/* Both destructors exist in 2026: each alternative reports its own match. */
	assert_int_equal(count_for(&r, W_PROGRAM_DTOR), 2);
	for (size_t i = 0; i < r.n; i++) {
		m = &r.matches[i];
		if (m->want != W_PROGRAM_DTOR)
			continue;
		assert_string_equal(m->demangled, m->name_index == 0 ?
				    "tt::tt_metal::detail::ProgramImpl::~ProgramImpl()" :
				    "tt::tt_metal::Program::~Program()");
	}
	assert_string_equal(only(&r, W_TRACK_DEALLOC_CB, 0)->params, "(tt::tt_metal::IDevice const*)");
	assert_string_equal(only(&r, W_ALLOC_BUFFER, 0)->demangled,
			    "tt::tt_metal::AllocatorImpl::allocate_buffer(tt::tt_metal::Buffer*)");
	assert_non_null(strstr(only(&r, W_BANK_ALLOC, 0)->params,
			       "ttsl::StrongType<unsigned int, tt::tt_metal::AllocatorIDTag>"));
	assert_false(only(&r, W_HIDDEN, 0)->in_dynsym);
	assert_true(only(&r, W_TRACK_ALLOC, 0)->in_dynsym);
	assert_true(r.has_symtab);
	assert_true(r.has_debuginfo);
	assert_true(r.symbols_scanned > 0);
	/* The prefilter keeps demangling to the few candidates. */
	assert_true(r.demangled < r.symbols_scanned / 2);
	sym_result__free(&r);
}

static void test_stripped_resolves_from_dynsym(void **state)
{
	struct sym_result full, stripped;

	(void)state;
	resolve_fixture("libgen2026.so", &full);
	resolve_fixture("libgen2026-stripped.so", &stripped);
	assert_false(stripped.has_symtab);
	assert_false(stripped.has_debuginfo);
	assert_string_equal(stripped.build_id, full.build_id);
	/* Everything exported resolves the same; the hidden helper is gone. */
	assert_int_equal(count_for(&stripped, W_HIDDEN), 0);
	assert_int_equal(stripped.n, full.n - 1);
	for (size_t i = 0, j = 0; i < full.n; i++) {
		if (full.matches[i].want == W_HIDDEN)
			continue;
		assert_int_equal(stripped.matches[j].want, full.matches[i].want);
		assert_int_equal(stripped.matches[j].file_offset, full.matches[i].file_offset);
		assert_true(stripped.matches[j].in_dynsym);
		j++;
	}
	sym_result__free(&full);
	sym_result__free(&stripped);
}

/* A .symtab cut down after linking holds less than .dynsym: both are read,
 * and every match is what the whole library gives, exported or not alike. */
static void test_cut_symtab_reads_dynsym_too(void **state)
{
	struct sym_result full, cut;

	(void)state;
	resolve_fixture("libgen2026.so", &full);
	resolve_fixture("libgen2026-cut.so", &cut);
	assert_true(cut.has_symtab);
	assert_int_equal(count_for(&cut, W_HIDDEN), 1);
	assert_int_equal(cut.n, full.n);
	for (size_t i = 0; i < full.n; i++) {
		assert_int_equal(cut.matches[i].want, full.matches[i].want);
		assert_int_equal(cut.matches[i].file_offset, full.matches[i].file_offset);
		assert_int_equal(cut.matches[i].in_dynsym, full.matches[i].in_dynsym);
	}
	sym_result__free(&full);
	sym_result__free(&cut);
}

static void resolve_one(const char *lib, const char *name, struct sym_result *r)
{
	const char *names[] = { name };
	struct sym_want w = { names, 1 };

	assert_int_equal(symbols__resolve(fixture(lib), &w, 1, r), 0);
}

static void test_near_misses_rejected(void **state)
{
	static const char *const misses[] = {
		"track_allocate",                           /* unqualified: only C symbols */
		"tt_metal::GraphTracker::track_allocate",   /* a suffix is not the name */
		"tt::tt_metal::GraphTracker::allocate",     /* nor is a part of the identifier */
		"tt::tt_metal::GraphTracker::track_alloc",
		"tt::tt_metal::detail::ProgramImpl::allocate_circular",
		"tt::tt_metal::ProgramImpl::~ProgramImpl",  /* right class, wrong namespace */
	};
	struct sym_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
		resolve_one("libgen2026.so", misses[i], &r);
		if (r.n)
			fail_msg("'%s' matched %s", misses[i], r.matches[0].demangled);
		sym_result__free(&r);
	}
	/* track_allocate: not track_allocate_cb(_stats), hook_allocate, ttnn::graph:: */
	resolve_one("libgen2026.so", "tt::tt_metal::GraphTracker::track_allocate", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.matches[0].symbol,
			    "_ZN2tt8tt_metal12GraphTracker14track_allocateEPKNS0_6BufferE");
	sym_result__free(&r);
	/* allocate_circular_buffers: not allocate_circular_buffers_for_trace */
	resolve_one("libgen2026.so", "tt::tt_metal::detail::ProgramImpl::allocate_circular_buffers", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.matches[0].params, "(tt::tt_metal::IDevice const*)");
	sym_result__free(&r);
}

static void test_wanted_names_are_normalized(void **state)
{
	struct sym_result r;

	(void)state;
	/* A name written with v0:: or an ABI tag matches whichever the build has. */
	resolve_one("libgen2025.so", "tt::tt_metal::v0::Program::~Program", &r);
	assert_int_equal(r.n, 1);
	sym_result__free(&r);
	resolve_one("libgen2024.so", "tt::tt_metal::Buffer::name[abi:cxx11]", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.matches[0].demangled, "tt::tt_metal::v0::Buffer::name[abi:cxx11]() const");
	sym_result__free(&r);
}

struct phdr_query {
	uintptr_t base;
	uint64_t vaddr;
	uint64_t offset;
	int found;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_query *q = data;

	(void)size;
	if (info->dlpi_addr != q->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && q->vaddr >= ph->p_vaddr &&
		    q->vaddr < ph->p_vaddr + ph->p_memsz) {
			q->offset = q->vaddr - ph->p_vaddr + ph->p_offset;
			q->found = 1;
			return 1;
		}
	}
	return 0;
}

/*
 * The file offsets must agree with what the dynamic loader does, which uses
 * program headers, not the section headers symbols.c reads: dlsym gives the
 * runtime address, the link map the load bias, and the PT_LOAD segment
 * holding the address gives its offset in the file.
 */
static void check_offsets_against_loader(const char *lib)
{
	struct sym_result r;
	struct link_map *lm;
	void *h;
	size_t checked = 0;

	resolve_fixture(lib, &r);
	h = dlopen(fixture(lib), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen(%s): %s", lib, dlerror());
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	for (size_t i = 0; i < r.n; i++) {
		const struct sym_match *m = &r.matches[i];
		struct phdr_query q = { .base = lm->l_addr };
		void *addr;

		if (!m->in_dynsym)
			continue;
		addr = dlsym(h, m->symbol);
		if (!addr)
			fail_msg("dlsym(%s): %s", m->symbol, dlerror());
		q.vaddr = (uintptr_t)addr - lm->l_addr;
		assert_int_equal(q.vaddr, m->vaddr);
		dl_iterate_phdr(find_segment, &q);
		assert_true(q.found);
		assert_int_equal(q.offset, m->file_offset);
		checked++;
	}
	assert_true(checked >= 10);
	dlclose(h);
	sym_result__free(&r);
}

static void test_offsets_match_loader(void **state)
{
	(void)state;
	check_offsets_against_loader("libgen2024.so");
	check_offsets_against_loader("libgen2025.so");
	check_offsets_against_loader("libgen2026.so");
	check_offsets_against_loader("libgen2026-stripped.so");
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A minimal ELF header: valid for libelf, so only the class/machine check rejects it. */
static void write_elf_header(const char *path, unsigned char cls, uint16_t machine)
{
	Elf64_Ehdr e;

	memset(&e, 0, sizeof(e));
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = cls;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = ET_DYN;
	e.e_machine = machine;
	e.e_version = EV_CURRENT;
	e.e_ehsize = sizeof(e);
	write_file(path, &e, sizeof(e));
}

static void test_errors(void **state)
{
	char dir[] = "/tmp/ttleak-symbols-XXXXXX", path[PATH_MAX];
	struct sym_result r;
	const char *bad[] = { "tt::X::operator()" };
	const char *empty[] = { "" };
	struct sym_want w_bad = { bad, 1 }, w_empty = { empty, 1 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.so", dir);
	assert_int_equal(symbols__resolve(path, wants, W_COUNT, &r), -ENOENT);
	sym_result__free(&r);
	assert_int_equal(symbols__is_shared_object(path), -ENOENT);

	snprintf(path, sizeof(path), "%s/text.so", dir);
	write_file(path, "not an ELF file\n", 16);
	assert_int_equal(symbols__resolve(path, wants, W_COUNT, &r), -ENOEXEC);
	assert_int_equal(symbols__is_shared_object(path), -ENOEXEC);
	unlink(path);

	snprintf(path, sizeof(path), "%s/arm64.so", dir);
	write_elf_header(path, ELFCLASS64, EM_AARCH64);
	assert_int_equal(symbols__resolve(path, wants, W_COUNT, &r), -ENOEXEC);
	unlink(path);

	snprintf(path, sizeof(path), "%s/x86-64.so", dir);
	write_elf_header(path, ELFCLASS64, EM_X86_64);
	assert_int_equal(symbols__resolve(path, wants, W_COUNT, &r), 0);
	assert_int_equal(r.n, 0);
	sym_result__free(&r);
	unlink(path);

	snprintf(path, sizeof(path), "%s/elf32.so", dir);
	write_elf_header(path, ELFCLASS32, EM_386);
	assert_int_equal(symbols__resolve(path, wants, W_COUNT, &r), -ENOEXEC);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(symbols__resolve(fixture("libgen2026.so"), &w_bad, 1, &r), -EINVAL);
	assert_int_equal(symbols__resolve(fixture("libgen2026.so"), &w_empty, 1, &r), -EINVAL);
	sym_result__free(&r);
}

static void test_is_shared_object(void **state)
{
	(void)state;
	assert_int_equal(symbols__is_shared_object(fixture("libgen2025.so")), 1);
	assert_int_equal(symbols__is_shared_object(fixture("libgen2026-stripped.so")), 1);
	/* This test binary: an executable (PIE or not), not a library. */
	assert_int_equal(symbols__is_shared_object("/proc/self/exe"), 0);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_bench_big_library(void **state)
{
	const char *lib = getenv("TTLEAK_BENCH_LIB");
	double best = 1e30;

	(void)state;
	if (!lib)
		skip();
	for (int run = 0; run < 5; run++) {
		struct sym_result r;
		double t0 = now_ms(), dt;

		assert_int_equal(symbols__resolve(lib, wants, W_COUNT, &r), 0);
		dt = now_ms() - t0;
		best = dt < best ? dt : best;
		printf("[ bench    ] %s run %d: %.1f ms, %llu symbols scanned, %llu demangled, "
		       "%zu matches\n", lib, run, dt, (unsigned long long)r.symbols_scanned,
		       (unsigned long long)r.demangled, r.n);
		only(&r, W_ALLOC_CBS, 0);
		only(&r, W_TRACK_ALLOC, 0);
		sym_result__free(&r);
	}
	printf("[ bench    ] best %.1f ms\n", best);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen2024),
		cmocka_unit_test(test_gen2025),
		cmocka_unit_test(test_gen2026),
		cmocka_unit_test(test_stripped_resolves_from_dynsym),
		cmocka_unit_test(test_cut_symtab_reads_dynsym_too),
		cmocka_unit_test(test_near_misses_rejected),
		cmocka_unit_test(test_wanted_names_are_normalized),
		cmocka_unit_test(test_offsets_match_loader),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_is_shared_object),
		cmocka_unit_test(test_bench_big_library),
	};

	fixture_dir_find(fixture_dir, sizeof(fixture_dir));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
