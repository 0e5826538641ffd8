// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* process_labels: the names of traced processes (see process_labels.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/process_labels.h"

struct process_label *process_labels__get(struct process_labels *l, uint32_t tgid)
{
	struct process_label *grown;
	size_t i;

	/* Newest first: a process's exit usually follows its first event soon. */
	for (i = l->n; i > 0; i--)
		if (l->v[i - 1].tgid == tgid)
			return &l->v[i - 1];
	grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	l->v = grown;
	memset(&l->v[l->n], 0, sizeof(*grown));
	l->v[l->n].tgid = tgid;
	return &l->v[l->n++];
}

int process_labels__set_command(struct process_labels *l, uint32_t tgid, const char *command)
{
	struct process_label *p = process_labels__get(l, tgid);

	if (!p)
		return -ENOMEM;
	snprintf(p->command, sizeof(p->command), "%s", command);
	return 0;
}

int process_labels__set_comm(struct process_labels *l, uint32_t tgid, const char *comm)
{
	size_t len = strnlen(comm, TTLEAK_COMM_LEN);
	struct process_label *p;

	if (!len)
		return 0;
	p = process_labels__get(l, tgid);
	if (!p)
		return -ENOMEM;
	snprintf(p->comm, sizeof(p->comm), "[%.*s]", (int)len, comm);
	return 0;
}

void process_labels__free(struct process_labels *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
