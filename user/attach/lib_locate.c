// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attach/lib_locate.h"
#include "attach/proc_maps.h"
#include "attach/target.h"

#define IMPORT_OUTPUT_MAX (4 << 20)

static int from_tt_metal_home(struct lib_choice *out)
{
	static const char *const subdirs[] = { "build/lib", "build_Release/lib", "build_Debug/lib",
					       "build_RelWithDebInfo/lib" };
	const char *home = getenv("TT_METAL_HOME");
	struct stat st;
	size_t i;

	if (!home || !*home)
		return -ENOENT;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(out->path, sizeof(out->path), "%s/%s/%s.so", home, subdirs[i],
			 TTLEAK_LIB_PREFIX);
		if (access(out->path, R_OK) == 0 && stat(out->path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			snprintf(out->how, sizeof(out->how), "TT_METAL_HOME");
			return 0;
		}
	}
	return -ENOENT;
}

/* Read all a child writes to the pipe; NULL when it is more than we expect. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (n += (size_t)r) == cap) {
			bigger = r < 0 || cap >= IMPORT_OUTPUT_MAX ? NULL : realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	*len = n;
	return buf;
}

/* python3 -c 'import MODULE' and print the maps it ends up with. */
static int from_import(const char *module, struct lib_choice *out)
{
	static const char script[] = "import importlib, sys\n"
				     "importlib.import_module(sys.argv[1])\n"
				     "sys.stdout.write(open('/proc/self/maps').read())\n";
	struct proc_mapping m;
	int fds[2], status = 0, ret = -ENOENT;
	size_t len = 0;
	char *maps;
	FILE *f;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execlp("python3", "python3", "-c", script, module, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	maps = pid > 0 ? read_all(fds[0], &len) : NULL;
	close(fds[0]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	f = maps && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? fmemopen(maps, len, "r") : NULL;
	if (f && proc_maps__find_in_stream(f, TTLEAK_LIB_PREFIX, &m) == 0) {
		snprintf(out->path, sizeof(out->path), "%s", m.path);
		snprintf(out->how, sizeof(out->how), "import %s", module);
		ret = 0;
	}
	if (f)
		fclose(f);
	free(maps);
	return ret;
}

int lib_locate__for_command(const char *lib, const char *import_module, struct lib_choice *out,
			    char *err, size_t errlen)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (lib) {
		snprintf(out->path, sizeof(out->path), "%s", lib);
		snprintf(out->how, sizeof(out->how), "--lib");
		return target__check_library(lib, &st, err, errlen) ? -ENOENT : 0;
	}
	if (from_tt_metal_home(out) == 0)
		return 0;
	if (import_module && from_import(import_module, out) == 0)
		return 0;
	if (import_module)
		snprintf(err, errlen, "'python3 -c \"import %s\"' did not load %s.so (does it import "
			 "in this environment?); give --lib PATH", import_module, TTLEAK_LIB_PREFIX);
	else
		snprintf(err, errlen, "cannot tell which %s.so the command will load: give --lib PATH, "
			 "set TT_METAL_HOME, or --import-probe ttnn", TTLEAK_LIB_PREFIX);
	return -ENOENT;
}
