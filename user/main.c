// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ttleak-bpf: find device-memory leaks in running tt-metal programs. */
#include <stdio.h>
#include "attach/bpf_session.h"
#include "cli.h"
#include "attach/list_probes.h"
#include "pipeline/output.h"
#include "pipeline/replay.h"
#include "report/metrics_server.h"

int main(int argc, char **argv)
{
	struct cli_opts opts;
	char err[512];
	int status = cli__parse(argc, argv, &opts);

	if (status)
		return status;
	/* The --metrics-listen socket is bound before anything is traced too. */
	if (opts.metrics_listen && metrics_server__prepare(opts.metrics_listen, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	/* Every output file exists before anything is traced: a bad path fails now. */
	if (opts.mode != MODE_LIST_PROBES && (status = output__open_all(&opts)))
		return status;
	switch (opts.mode) {
	case MODE_LIST_PROBES:
		return list_probes__run(&opts);
	case MODE_REPLAY:
		return replay__run(&opts);
	default:
		return bpf_session__run(&opts);
	}
}
