// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "attach/privileges.h"

static const unsigned kept_after_attach[] = {
	CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE, CAP_KILL,
};

static int fill_identity(const struct passwd *pw, struct child_identity *who)
{
	who->drop = true;
	who->uid = pw->pw_uid;
	who->gid = pw->pw_gid;
	snprintf(who->user, sizeof(who->user), "%s", pw->pw_name);
	snprintf(who->home, sizeof(who->home), "%s", pw->pw_dir ? pw->pw_dir : "");
	return 0;
}

/* SUDO_UID as a number in range, or -1. */
static long sudo_uid(void)
{
	const char *v = getenv("SUDO_UID");
	char *end;
	long uid;

	if (!v || !*v)
		return -1;
	errno = 0;
	uid = strtol(v, &end, 10);
	return errno || *end || uid <= 0 ? -1 : uid;
}

static void clear_inheritable(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return;
	d[0].inheritable = d[1].inheritable = 0;
	syscall(SYS_capset, &h, d); /* best effort: the ambient set is what matters */
}

int privileges__command_identity(const char *user, bool as_root, struct child_identity *who,
				 char *err, size_t errlen)
{
	struct passwd *pw;
	long uid;

	memset(who, 0, sizeof(*who));
	/* The command is forked before the drop after attach: without ambient
	 * (and inheritable) capabilities an unprivileged tracer granted some
	 * (setpriv, systemd's AmbientCapabilities=) does not pass them on
	 * through exec. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	clear_inheritable();
	if (as_root || geteuid() != 0)
		return 0;
	if (user) {
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "--user %s: no such user", user);
			return -ENOENT;
		}
		return fill_identity(pw, who);
	}
	uid = sudo_uid();
	if (uid < 0)
		return 0; /* root itself ran the tracer: the command runs as root */
	pw = getpwuid((uid_t)uid);
	if (!pw) {
		snprintf(err, errlen, "SUDO_UID=%ld names no user: give --user NAME or --as-root",
			 uid);
		return -ENOENT;
	}
	return fill_identity(pw, who);
}

/* What attaching takes (privileges.h): kept by --all, which attaches to
 * library files found while it traces. */
static const unsigned kept_to_attach[] = { CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON };

static bool kept(unsigned cap, bool keep_attach)
{
	size_t i;

	for (i = 0; i < sizeof(kept_after_attach) / sizeof(kept_after_attach[0]); i++)
		if (kept_after_attach[i] == cap)
			return true;
	for (i = 0; keep_attach && i < sizeof(kept_to_attach) / sizeof(kept_to_attach[0]); i++)
		if (kept_to_attach[i] == cap)
			return true;
	return false;
}

int privileges__drop_after_attach(bool keep_attach, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	unsigned cap;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (kept(cap, keep_attach))
			continue;
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); /* fails without CAP_SETPCAP: harmless */
		d[cap / 32].effective &= ~(1u << (cap % 32));
		d[cap / 32].permitted &= ~(1u << (cap % 32));
		d[cap / 32].inheritable &= ~(1u << (cap % 32));
	}
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return -errno;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

void privileges__describe(char *buf, size_t size)
{
	static const char *const names[] = {
		[CAP_DAC_OVERRIDE] = "cap_dac_override", [CAP_DAC_READ_SEARCH] = "cap_dac_read_search",
		[CAP_KILL] = "cap_kill", [CAP_SYS_PTRACE] = "cap_sys_ptrace",
		[CAP_SYS_ADMIN] = "cap_sys_admin", [CAP_PERFMON] = "cap_perfmon", [CAP_BPF] = "cap_bpf",
	};
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	size_t len = 0;
	unsigned cap;

	buf[0] = '\0';
	if (syscall(SYS_capget, &h, d))
		return;
	for (cap = 0; cap <= CAP_LAST_CAP && len + 1 < size; cap++) {
		int n;

		if (!(d[cap / 32].effective & (1u << (cap % 32))))
			continue;
		if (cap < sizeof(names) / sizeof(names[0]) && names[cap])
			n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", names[cap]);
		else
			n = snprintf(buf + len, size - len, "%scap_%u", len ? "," : "", cap);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

bool privileges__have(unsigned cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (cap > CAP_LAST_CAP || syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

void privileges__explain_denied(bool attach, char *buf, size_t size)
{
	bool admin = privileges__have(CAP_SYS_ADMIN);
	bool bpf = admin || privileges__have(CAP_BPF);
	bool perfmon = admin || privileges__have(CAP_PERFMON);

	if (attach && !admin)
		snprintf(buf, size, "missing CAP_SYS_ADMIN: since Linux 6.16 (and stable kernels "
			 "with that change) only CAP_SYS_ADMIN may create uprobes, whatever "
			 "kernel.perf_event_paranoid says; CAP_BPF and CAP_PERFMON are not enough");
	else if (!attach && !bpf && !perfmon)
		snprintf(buf, size, "missing CAP_BPF and CAP_PERFMON");
	else if (!attach && !bpf)
		snprintf(buf, size, "missing CAP_BPF");
	else if (!attach && !perfmon)
		snprintf(buf, size, "missing CAP_PERFMON (uprobe programs are tracing programs)");
	else
		snprintf(buf, size, "refused although the capabilities are held (%s): kernel "
			 "lockdown or a security module (SELinux, AppArmor) denies it",
			 attach ? "CAP_SYS_ADMIN" : "CAP_BPF, CAP_PERFMON");
}
