/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Itanium C++ names, demangled by the C++ runtime the tool links
 * (libstdc++'s __cxa_demangle): the one place that declares it.
 */
#ifndef TTLEAK_DEMANGLE_H
#define TTLEAK_DEMANGLE_H

#include <stddef.h>

/*
 * Demangle into a buffer reused across calls: *buf (may start NULL) of
 * *len bytes is grown as needed. Returns the demangled name (*buf's new
 * value), or NULL when name is not a mangled name (or memory ran out);
 * *buf stays valid either way and is the caller's to free.
 */
char *demangle__into(const char *name, char **buf, size_t *len);

/* A newly allocated demangled name, or NULL (as above). */
char *demangle__dup(const char *name);

#endif /* TTLEAK_DEMANGLE_H */
