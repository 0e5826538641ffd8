// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <unistd.h>
#include <elfutils/libdwfl.h>
#include "elf/mapped_file.h"
#include "attach/proc_maps.h"
#include "elf/stacks.h"
#include "elf/unit_ranges.h"
#include "elf/unwind.h"

#include "elf/demangle.h"

struct module;

struct mapping {
	uint64_t start, end, pgoff;
	struct module *module;  /* NULL for data: heap, stacks, anonymous memory */
	bool exec;
};

/* A process's file mappings, as last read. */
struct process_maps {
	UT_hash_handle hh;
	uint32_t tgid;
	struct mapping *v;
	size_t n;
	bool gone;              /* could not be read again: the process exited */
	unsigned generation;    /* reads that found mappings */
	struct unwinder *unwinder; /* --stacks=dwarf, for the mappings of unwinder_gen */
	unsigned unwinder_gen;
	bool unwinder_tried;
};

/* A module file, once per device and inode: the same path may name other
 * files in other mount namespaces. It is opened when first seen, through
 * the mapping (mapped_file.h), while its process surely runs: never by its
 * path, which may name another file on the host. */
struct module_key {
	uint64_t dev, ino;
};

struct module {
	UT_hash_handle hh;
	struct module_key key;
	char *path;             /* as the process mapped it, for reports */
	int fd;                 /* -1: could not be opened; not symbolized */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	bool tried;
	struct unit_ranges *units; /* built when a frame first needs them */
	bool units_tried;
};

struct stack_key {
	uint32_t tgid;
	int32_t id;
};

struct stack {
	UT_hash_handle hh;
	struct stack_key key;
	struct stack_frame *frames;
	struct module **modules; /* of each frame, NULL when unmapped */
	size_t n;
	bool symbolized;
	bool unplaced;          /* its process was gone before its mappings were read */
};

/* --stacks=dwarf: a stack by its frames, so identical ones share an id. */
struct unwound {
	UT_hash_handle hh;
	int32_t id;
	size_t len;
	uint64_t key[];         /* tgid, then the frames */
};

struct stack_store {
	struct process_maps *processes;
	struct unwound *unwound;
	int32_t next_unwound_id;
	struct module *modules;   /* also the interned module paths */
	struct stack *stacks;
	struct stack_stats stats;
};

struct stack_store *stack_store__new(void)
{
	return calloc(1, sizeof(struct stack_store));
}

/* ---- mappings ---------------------------------------------------------- */

static struct module *intern_module(struct stack_store *s, int pid,
				    const struct proc_mapping *pm)
{
	struct module_key key = { .dev = ((uint64_t)pm->dev_major << 32) | pm->dev_minor,
				  .ino = pm->inode };
	struct stat st;
	char err[256];
	struct module *m;

	HASH_FIND(hh, s->modules, &key, sizeof(key), m);
	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(pm->path))) {
		free(m);
		return NULL;
	}
	m->key = key;
	m->fd = mapped_file__open(pid, pm, &st, err, sizeof(err));
	HASH_ADD(hh, s->modules, key, sizeof(key), m);
	return m;
}

static int read_maps(struct stack_store *s, struct process_maps *p)
{
	struct proc_mapping pm;
	char path[64], line[PATH_MAX + 128];
	struct mapping *v = NULL, *grown;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->tgid);
	f = fopen(path, "r");
	if (!f) {
		p->gone = true;
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if (proc_maps__parse_line(line, &pm))
			continue;
		grown = realloc(v, (n + 1) * sizeof(*v));
		if (!grown)
			break;
		v = grown;
		v[n].start = pm.start;
		v[n].end = pm.end;
		v[n].pgoff = pm.offset;
		v[n].exec = strchr(pm.perms, 'x') != NULL;
		v[n].module = v[n].exec && pm.path[0] == '/' ? intern_module(s, (int)p->tgid, &pm)
							       : NULL;
		n++;
	}
	fclose(f);
	if (!n) {
		/* An exiting process (a zombie) has a maps file, but empty: keep
		 * what an earlier read found. */
		free(v);
		p->gone = true;
		return -ESRCH;
	}
	free(p->v);
	p->v = v;
	p->n = n;
	p->generation++;
	return 0;
}

static const struct mapping *find_mapping(const struct process_maps *p, uint64_t ip)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (ip >= p->v[i].start && ip < p->v[i].end)
			return &p->v[i];
	return NULL;
}

static struct process_maps *process_maps_get(struct stack_store *s, uint32_t tgid)
{
	struct process_maps *p;

	HASH_FIND(hh, s->processes, &tgid, sizeof(tgid), p);
	if (!p && (p = calloc(1, sizeof(*p)))) {
		/* First seen: its mappings now, while it surely runs. */
		p->tgid = tgid;
		HASH_ADD(hh, s->processes, tgid, sizeof(p->tgid), p);
		read_maps(s, p);
	}
	return p;
}

/* ---- capture ----------------------------------------------------------- */

void stack_store__note_process(struct stack_store *s, uint32_t tgid)
{
	process_maps_get(s, tgid);
}

bool stack_store__known(const struct stack_store *s, uint32_t tgid, int32_t stack_id)
{
	struct stack_key key = { tgid, stack_id };
	struct stack *st;

	HASH_FIND(hh, s->stacks, &key, sizeof(key), st);
	return st != NULL;
}

/* Map each address; a miss in a live process may be a library loaded since
 * the last read (dlopen), so read the mappings again once. An address in no
 * code mapping of a live process cannot be a return address: the frame-pointer
 * walk went astray (code built without frame pointers), so the stack ends
 * before it. A process that is gone (or was exiting when read: its mapping
 * list shrinks as it dies) proves nothing: its raw addresses are kept. */
static void map_frames(struct stack_store *s, struct process_maps *p, struct stack *st)
{
	bool reread = false;
	size_t i;

	for (i = 0; i < st->n; i++) {
		struct stack_frame *f = &st->frames[i];
		const struct mapping *m = find_mapping(p, f->ip);

		if (!m && !reread && !p->gone) {
			reread = true;
			read_maps(s, p);
			m = find_mapping(p, f->ip);
		}
		if (!m && p->gone) {
			s->stats.process_gone++;
			st->unplaced = true;
			return;
		}
		if (!m || !m->exec || !m->module) {
			s->stats.unmapped++;
			st->n = i ? i : 1; /* keep frame 0, the probed function, even so */
			return;
		}
		st->modules[i] = m->module;
		f->module = m->module->path;
		f->offset = f->ip - m->start + m->pgoff;
	}
}

int stack_store__add(struct stack_store *s, uint32_t tgid, int32_t stack_id,
		     const uint64_t *ips, size_t n)
{
	struct process_maps *p = process_maps_get(s, tgid);
	struct stack *st = calloc(1, sizeof(*st));
	size_t i;

	if (!st || !p) {
		free(st);
		return -ENOMEM;
	}
	st->key = (struct stack_key){ tgid, stack_id };
	if (!ips)
		s->stats.read_failures++;
	for (i = 0; ips && i < n && ips[i]; i++)
		;
	st->frames = calloc(i ? i : 1, sizeof(*st->frames));
	st->modules = calloc(i ? i : 1, sizeof(*st->modules));
	if (!st->frames || !st->modules) {
		free(st->frames);
		free(st->modules);
		free(st);
		return -ENOMEM;
	}
	for (st->n = 0; st->n < i; st->n++)
		st->frames[st->n].ip = ips[st->n];
	map_frames(s, p, st);
	HASH_ADD(hh, s->stacks, key, sizeof(st->key), st);
	s->stats.captured++;
	return 0;
}

/* ---- capture from a stack copy (--stacks=dwarf) ------------------------ */

/* The process's unwinder for its mappings as last read; rebuilt after a
 * read found new ones (dlopen). */
static struct unwinder *process_unwinder(struct process_maps *p)
{
	struct unwind_module *mods;
	size_t i, j, n = 0;

	if (p->unwinder_tried && p->unwinder_gen == p->generation)
		return p->unwinder;
	unwinder__free(p->unwinder);
	p->unwinder = NULL;
	p->unwinder_tried = true;
	p->unwinder_gen = p->generation;
	mods = calloc(p->n ? p->n : 1, sizeof(*mods));
	if (!mods)
		return NULL;
	for (i = 0; i < p->n; i++) {
		const struct module *m = p->v[i].module;

		for (j = 0; m && j < i && p->v[j].module != m; j++)
			;
		if (m && m->fd >= 0 && j == i)
			mods[n++] = (struct unwind_module){ .name = m->path, .fd = m->fd,
							    .start = p->v[i].start,
							    .pgoff = p->v[i].pgoff };
	}
	p->unwinder = unwinder__new((pid_t)p->tgid, mods, n);
	free(mods);
	return p->unwinder;
}

/* Unwind; a frame in no known mapping of a live process may be in a
 * library loaded since the mappings were read: read them again once. */
static size_t unwind_sample(struct stack_store *s, struct process_maps *p,
			    const struct ttleak_ustack *u, size_t size, uint64_t *ips,
			    enum unwind_end *end)
{
	struct unwinder *uw = process_unwinder(p);
	unsigned gen = p->generation;
	size_t n;

	*end = UNWIND_FAILED;
	if (!uw)
		return unwind__entry_frames(u, size, ips, TTLEAK_MAX_STACK_DEPTH);
	n = unwinder__frames(uw, u, size, ips, TTLEAK_MAX_STACK_DEPTH, end);
	if (*end != UNWIND_FAILED || p->gone || find_mapping(p, ips[n - 1]))
		return n;
	read_maps(s, p);
	uw = p->generation != gen ? process_unwinder(p) : NULL;
	return uw ? unwinder__frames(uw, u, size, ips, TTLEAK_MAX_STACK_DEPTH, end) : n;
}

static void count_unwind_end(struct stack_store *s, enum unwind_end end)
{
	if (end == UNWIND_SLICE_ENDED)
		s->stats.unwind_slice_ended++;
	else if (end == UNWIND_FAILED)
		s->stats.unwind_failed++;
}

int stack_store__add_sample(struct stack_store *s, const struct ttleak_ustack *u, size_t size,
			    int32_t *stack_id)
{
	uint64_t key[1 + TTLEAK_MAX_STACK_DEPTH];
	struct process_maps *p = process_maps_get(s, u->tgid);
	enum unwind_end end;
	struct unwound *w;
	size_t n, len;

	if (!p)
		return -ENOMEM;
	key[0] = u->tgid;
	n = unwind_sample(s, p, u, size, key + 1, &end);
	len = (1 + n) * sizeof(key[0]);
	HASH_FIND(hh, s->unwound, key, len, w);
	if (w) {
		*stack_id = w->id;
		return 0;
	}
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	w->id = s->next_unwound_id;
	w->len = len;
	memcpy(w->key, key, len);
	if (stack_store__add(s, u->tgid, w->id, key + 1, n)) {
		free(w);
		return -ENOMEM;
	}
	s->next_unwound_id++;
	HASH_ADD_KEYPTR(hh, s->unwound, w->key, w->len, w);
	count_unwind_end(s, end);
	*stack_id = w->id;
	return 0;
}

/* ---- symbolization ----------------------------------------------------- */

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* The file is read through the descriptor opened when it was mapped:
 * "/proc/self/fd/N" names that file and nothing else. */
static Dwfl_Module *module_open(struct module *m)
{
	char path[64];

	if (m->tried || m->fd < 0)
		return m->mod;
	m->tried = true;
	m->dwfl = dwfl_begin(&offline_callbacks);
	if (!m->dwfl)
		return NULL;
	mapped_file__fd_path(m->fd, path, sizeof(path));
	m->mod = dwfl_report_offline(m->dwfl, m->path, path, -1);
	dwfl_report_end(m->dwfl, NULL, NULL);
	return m->mod;
}

/* File offset -> address in the module as libdwfl placed it. libdwfl maps
 * addresses to modules, not file offsets to addresses, so the PT_LOAD
 * segment holding the offset says. */
static bool offset_to_address(Dwfl_Module *mod, uint64_t offset, Dwarf_Addr *addr)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t i, nph;
	GElf_Phdr ph;

	if (!elf || elf_getphdrnum(elf, &nph))
		return false;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz) {
			*addr = offset - ph.p_offset + ph.p_vaddr + bias;
			return true;
		}
	}
	return false;
}

static const char *demangle(const char *name)
{
	char *d = demangle__dup(name);

	return d ? d : strdup(name);
}

/* The source line of addr by the compile unit whose ranges hold it, where
 * libdw found none (elf/unit_ranges.h says when). */
static const char *source_by_unit(struct module *m, Dwarf_Addr addr, int *line)
{
	if (!m->units_tried) {
		m->units_tried = true;
		m->units = unit_ranges__build(m->mod);
	}
	return m->units ? unit_ranges__source(m->units, addr, line) : NULL;
}

/* Frame 0 is the probed function's entry; the others are return addresses,
 * so look up the byte before them, which is inside the call. */
static void symbolize_frame(struct stack_store *s, struct stack_frame *f, struct module *m,
			    bool return_address)
{
	Dwfl_Module *mod = m ? module_open(m) : NULL;
	Dwfl_Line *line;
	const char *name, *src;
	Dwarf_Addr addr;

	if (!mod || !offset_to_address(mod, f->offset - (return_address ? 1 : 0), &addr)) {
		s->stats.unsymbolized += f->module != NULL;
		return;
	}
	name = dwfl_module_addrname(mod, addr);
	if (name)
		f->symbol = demangle(name);
	else
		s->stats.unsymbolized++;
	line = dwfl_module_getsrc(mod, addr);
	src = line ? dwfl_lineinfo(line, NULL, &f->line, NULL, NULL, NULL) :
		     source_by_unit(m, addr, &f->line);
	if (src)
		f->source = strdup(src);
}

/* A walk that reached a thread's entry point is complete; one that stopped
 * before (code without frame pointers) lost its outer frames. */
static bool reaches_entry(const struct stack *st)
{
	static const char *const entries[] = { "__libc_start_call_main", "__libc_start_main",
					       "_start", "start_thread", "clone", "clone3" };
	const char *outer = st->n ? st->frames[st->n - 1].symbol : NULL;
	size_t i;

	for (i = 0; outer && i < sizeof(entries) / sizeof(entries[0]); i++)
		if (strcmp(outer, entries[i]) == 0)
			return true;
	return false;
}

void stack_store__symbolize(struct stack_store *s)
{
	struct stack *st, *tmp;
	size_t i;

	HASH_ITER(hh, s->stacks, st, tmp) {
		if (st->symbolized)
			continue; /* done by an earlier call */
		for (i = 0; i < st->n; i++)
			symbolize_frame(s, &st->frames[i], st->modules[i], i > 0);
		if (st->n && !st->unplaced && !reaches_entry(st))
			s->stats.truncated++;
		st->symbolized = true;
	}
}

const struct stack_frame *stack_store__frames(const struct stack_store *s, uint32_t tgid,
					      int32_t stack_id, size_t *n)
{
	struct stack_key key = { tgid, stack_id };
	struct stack *st;

	HASH_FIND(hh, s->stacks, &key, sizeof(key), st);
	*n = st ? st->n : 0;
	return st ? st->frames : NULL;
}

void stack_store__stats(const struct stack_store *s, struct stack_stats *out)
{
	*out = s->stats;
}

/* ---- the event log (--record, --replay) -------------------------------- */

int stack_store__each(const struct stack_store *s, stack_store_fn fn, void *ctx)
{
	const struct stack *st, *tmp;
	int ret;

	HASH_ITER(hh, s->stacks, st, tmp) {
		ret = fn(st->key.tgid, st->key.id, st->frames, st->n, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* A recorded module path, as a module without a file (never opened: the
 * frames come symbolized). Its key cannot be a real device's. */
static struct module *restored_module(struct stack_store *s, const char *path)
{
	struct module *m, *tmp;

	HASH_ITER(hh, s->modules, m, tmp)
		if (m->key.dev == UINT64_MAX && strcmp(m->path, path) == 0)
			return m;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return NULL;
	}
	m->key = (struct module_key){ .dev = UINT64_MAX, .ino = HASH_COUNT(s->modules) };
	m->fd = -1;
	m->tried = true;
	HASH_ADD(hh, s->modules, key, sizeof(m->key), m);
	return m;
}

static int restore_frame(struct stack_store *s, struct stack *st, const struct stack_frame *f)
{
	struct stack_frame *to = &st->frames[st->n];

	*to = (struct stack_frame){ .ip = f->ip, .offset = f->offset, .line = f->line };
	if (f->module && !(st->modules[st->n] = restored_module(s, f->module)))
		return -ENOMEM;
	to->module = f->module ? st->modules[st->n]->path : NULL;
	to->symbol = f->symbol ? strdup(f->symbol) : NULL;
	to->source = f->source ? strdup(f->source) : NULL;
	st->n++; /* counted before the checks: freed with the stack on failure */
	return (f->symbol && !to->symbol) || (f->source && !to->source) ? -ENOMEM : 0;
}

static void free_stack(struct stack *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free((char *)st->frames[i].symbol);
		free((char *)st->frames[i].source);
	}
	free(st->frames);
	free(st->modules);
	free(st);
}

int stack_store__restore(struct stack_store *s, uint32_t tgid, int32_t stack_id,
			 const struct stack_frame *frames, size_t n)
{
	struct stack *st;
	size_t i;

	if (stack_store__known(s, tgid, stack_id))
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->key = (struct stack_key){ tgid, stack_id };
	st->frames = calloc(n ? n : 1, sizeof(*st->frames));
	st->modules = calloc(n ? n : 1, sizeof(*st->modules));
	st->symbolized = true;
	for (i = 0; st->frames && st->modules && i < n; i++)
		if (restore_frame(s, st, &frames[i]))
			break;
	if (!st->frames || !st->modules || i < n) {
		free_stack(st);
		return -ENOMEM;
	}
	HASH_ADD(hh, s->stacks, key, sizeof(st->key), st);
	return 0;
}

void stack_store__restore_stats(struct stack_store *s, const struct stack_stats *stats)
{
	s->stats = *stats;
}

void stack_store__free(struct stack_store *s)
{
	struct process_maps *p, *ptmp;
	struct module *m, *mtmp;
	struct stack *st, *stmp;
	struct unwound *w, *wtmp;

	if (!s)
		return;
	HASH_ITER(hh, s->stacks, st, stmp) {
		HASH_DEL(s->stacks, st);
		free_stack(st);
	}
	HASH_ITER(hh, s->unwound, w, wtmp) {
		HASH_DEL(s->unwound, w);
		free(w);
	}
	HASH_ITER(hh, s->processes, p, ptmp) {
		unwinder__free(p->unwinder);
		free(p->v);
		HASH_DEL(s->processes, p);
		free(p);
	}
	HASH_ITER(hh, s->modules, m, mtmp) {
		unit_ranges__free(m->units);
		if (m->dwfl)
			dwfl_end(m->dwfl);
		if (m->fd >= 0)
			close(m->fd);
		free(m->path);
		HASH_DEL(s->modules, m);
		free(m);
	}
	free(s);
}
