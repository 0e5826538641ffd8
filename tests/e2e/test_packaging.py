"""Packaging and fleets (packaging/, docs/deploy.md): the package of `make deb`
installs into a scratch root (dpkg --root) and both commands run from it; apt
installs it with what it depends on into a fresh Debian root, where it traces
the simulated runtime (the one scenario here that loads BPF); its Depends name the package of every library the
binary needs; the systemd unit passes `systemd-analyze verify` (a broken copy
does not); the DaemonSet passes the Kubernetes API schemas; the container
recipe, the DaemonSet and the unit run the tracer with options it has; the
Grafana dashboard queries only series the tracer exports, with their labels,
and rate() only over counters; bash completion offers what --help lists."""
import json
import os
import re
import shutil
import subprocess

import yaml

from harness import REPO, check, compare_with_ledger, load_report
from test_outputs import SAMPLE_TYPES

PARALLEL = True

PACKAGING = os.path.join(REPO, "packaging")
UNIT = "lib/systemd/system/ttleak-bpf.service"
# Labels the tracer's series carry (docs/usage.md), and Prometheus's own.
LABELS = {"chip", "mesh", "device", "type", "kind", "reason", "pid", "command", "instance",
          "job"}


def version():
    with open(os.path.join(REPO, "user", "cli.c")) as f:
        return re.search(r'argp_program_version = "ttleak-bpf ([^"]+)"', f.read()).group(1)


def deb_path(build):
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True).stdout.strip()
    path = os.path.join(build.root, f"ttleak-bpf_{version()}_{arch}.deb")
    check(os.path.exists(path), f"{path} missing: run make deb")
    return path


def install(build, tmp):
    """The package installed into tmp/root, as dpkg does it: the root."""
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "var/lib/dpkg/info"))
    os.makedirs(os.path.join(root, "var/lib/dpkg/updates"))
    for f in ("status", "available"):
        open(os.path.join(root, "var/lib/dpkg", f), "w").close()
    # The scratch root has no libraries: the host's satisfy the binary.
    r = subprocess.run(["dpkg", f"--root={root}", "--force-depends", "--log=/dev/null", "-i",
                        deb_path(build)], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"dpkg -i: {r.stdout}{r.stderr}")
    return root


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def scenario_deb_installs(build):
    def go(tmp):
        root = install(build, tmp)
        r = run(["dpkg", f"--root={root}", "-L", "ttleak-bpf"])
        files = set(r.stdout.split())
        want = {"/usr/sbin/ttleak-bpf", "/usr/sbin/ttleak-gate", "/" + UNIT,
                "/usr/share/man/man8/ttleak-bpf.8.gz", "/usr/share/man/man8/ttleak-gate.8.gz",
                "/usr/share/bash-completion/completions/ttleak-bpf",
                "/usr/share/bash-completion/completions/ttleak-gate",
                "/etc/default/ttleak-bpf", "/usr/share/doc/ttleak-bpf/copyright"}
        check(want <= files, f"package lacks {want - files}")
        for cmd in ("ttleak-bpf", "ttleak-gate"):
            r = run([os.path.join(root, "usr/sbin", cmd), "--help"])
            want = "--metrics-listen" if cmd == "ttleak-bpf" else "--merge"
            check(r.returncode == 0 and want in r.stdout,
                  f"{cmd} --help from the package: exit {r.returncode}\n{r.stderr}")
        r = run([os.path.join(root, "usr/sbin/ttleak-bpf"), "--version"])
        check(r.stdout.strip() == f"ttleak-bpf {version()}", f"--version: {r.stdout}")
        if shutil.which("man"):  # the page renders (man-db)
            r = run(["man", "-l", os.path.join(root, "usr/share/man/man8/ttleak-bpf.8.gz")],
                    env=dict(os.environ, MANWIDTH="80"))
            check(r.returncode == 0 and "--metrics-listen" in r.stdout.replace("\u2010", "-"),
                  f"man page: exit {r.returncode} {r.stderr}")
        # Every library the binary needs comes from a package it depends on.
        depends = {d.strip().split()[0] for d in
                   run(["dpkg-deb", "-f", deb_path(build), "Depends"]).stdout.split(",")}
        needed = re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", build.tool]).stdout)
        for lib in needed:
            owners = {line.split(":")[0] for line in run(["dpkg", "-S", lib]).stdout.splitlines()
                      if re.search(rf"/{re.escape(lib)}$", line)}
            check(owners & depends, f"{lib} (from {owners}) is not in Depends {depends}")
        check("python3" in depends, f"the gate needs python3: {depends}")
    return "make deb: installs into a scratch root; both commands run from it", go


# Installs the package with apt into an overlay on the pristine Debian root
# (scripts/clean-root.sh), then traces the simulated runtime there. The mount
# namespace takes the overlay and the bind mounts away when it ends.
FRESH_ROOT_SCRIPT = r"""
set -e
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$UPPER,workdir=$WORK" "$ROOT"
mount --bind /proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
chroot "$ROOT" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends /tmp/ttleak-bpf.deb' > "$OUT/apt.log" 2>&1
chroot "$ROOT" ttleak-bpf --list-probes --lib /opt/sim/libtt_metal.so > "$OUT/probes.txt"
set +e
chroot "$ROOT" env TTSIM_LEDGER=/tmp/ledger.txt ttleak-bpf -q --json /tmp/report.json \
    --lib /opt/sim/libtt_metal.so -- /opt/sim/ttsim_workload --iterations 1 \
    --leaks kernel_binary > "$OUT/trace.txt" 2>&1
echo $? > "$OUT/status"
"""


def scenario_deb_on_fresh_debian(build):
    def go(tmp):
        base = os.path.join(build.root, "test-tools", "clean-root")
        check(os.path.exists(os.path.join(base, ".complete")),
              f"no fresh Debian root: run scripts/clean-root.sh {base}")
        dirs = {d: os.path.join(tmp, d) for d in ("upper", "work", "root", "out")}
        for d in dirs.values():
            os.makedirs(d)
        os.makedirs(os.path.join(dirs["upper"], "opt", "sim"))
        os.makedirs(os.path.join(dirs["upper"], "tmp"))
        sim = os.path.join(build.root, "sim", "e5", "rel")
        for f in ("libtt_metal.so", "ttsim_workload"):
            shutil.copy2(os.path.join(sim, f), os.path.join(dirs["upper"], "opt", "sim", f))
        shutil.copy2(deb_path(build), os.path.join(dirs["upper"], "tmp", "ttleak-bpf.deb"))
        env = dict(os.environ, BASE=base, UPPER=dirs["upper"], WORK=dirs["work"],
                   ROOT=dirs["root"], OUT=dirs["out"])
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            FRESH_ROOT_SCRIPT], env=env, capture_output=True, text=True,
                           timeout=900)

        def out(name):
            path = os.path.join(dirs["out"], name)
            return open(path).read() if os.path.exists(path) else ""
        check(r.returncode == 0, f"fresh root: exit {r.returncode} {r.stderr}\n"
              f"apt: {out('apt.log')[-2000:]}")
        check("buffer allocate" in out("probes.txt"), f"--list-probes: {out('probes.txt')}")
        status, text = int(out("status")), out("trace.txt")
        written = os.path.join(dirs["upper"], "tmp")
        report = load_report(os.path.join(written, "report.json"), status, text)
        compare_with_ledger(status, report, os.path.join(written, "ledger.txt"), text)
        check(status == 1, f"traced on the fresh root: exit {status}\n{text}")
    return "make deb on a fresh Debian root: apt installs it, and it traces there", go


def verify_unit(root, unit_path):
    """systemd-analyze verify, with the package's binary and man page where the
    unit names them: a private mount namespace puts it at /usr/sbin."""
    script = ('mount -t tmpfs none /usr/sbin && cp "$ROOT/usr/sbin/ttleak-bpf" /usr/sbin/ && '
              'MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$UNIT"')
    return run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
               env=dict(os.environ, ROOT=root, UNIT=unit_path))


def scenario_systemd_unit(build):
    def go(tmp):
        check(shutil.which("systemd-analyze"), "systemd-analyze missing (Debian: systemd)")
        root = install(build, tmp)
        r = verify_unit(root, os.path.join(root, UNIT))
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
              f"systemd-analyze verify: exit {r.returncode}\n{r.stdout}{r.stderr}")
        # The check can fail: a typo in a directive is caught.
        broken = os.path.join(tmp, "ttleak-bpf.service")
        with open(os.path.join(root, UNIT)) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace("ExecStart=/usr/sbin/ttleak-bpf",
                                 "ExecStart=/usr/sbin/ttleak-bpf-missing"))
        r = verify_unit(root, broken)
        check(r.returncode != 0 and "ttleak-bpf-missing" in r.stdout + r.stderr,
              f"a unit starting a missing binary passed verify: {r.stdout}{r.stderr}")
        args = re.search(r'TTLEAK_ARGS=([^"]+)"', text).group(1).split()
        check_tracer_args(build, args, "the unit's TTLEAK_ARGS")
        with open(os.path.join(root, "etc/default/ttleak-bpf")) as f:
            default = re.search(r'^TTLEAK_ARGS="([^"]+)"', f.read(), re.M).group(1).split()
        check(default == args, f"/etc/default/ttleak-bpf {default} != unit {args}")
    return "systemd unit: systemd-analyze verify passes on the installed unit", go


def tracer_options(build):
    text = run([build.tool, "--help"]).stdout
    return set(re.findall(r"^ {2,6}(?:-(\S), )?--([\w-]+)", text, re.M))


def check_tracer_args(build, args, where):
    """args run the exporter: --all and --metrics-listen, every option one the
    tracer lists; the port it serves."""
    known = {f"--{long}" for _, long in tracer_options(build)} | \
        {f"-{short}" for short, _ in tracer_options(build) if short}
    opts = [a for a in args if a.startswith("-")]
    check(set(opts) <= known, f"{where}: unknown options {set(opts) - known}")
    check("--all" in args and "--metrics-listen" in args, f"{where}: {args}")
    return int(args[args.index("--metrics-listen") + 1].rsplit(":", 1)[1])


def scenario_container_and_daemonset(build):
    def go(tmp):
        with open(os.path.join(PACKAGING, "k8s", "ttleak-bpf-daemonset.yaml")) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        path = os.path.join(tmp, "docs.json")
        with open(path, "w") as f:
            json.dump(docs, f)
        models = os.path.join(build.root, "test-tools", "k8s")
        check(os.path.isdir(os.path.join(models, "node_modules", "kubernetes-models")),
              f"Kubernetes schemas missing: run scripts/test-tools.sh {build.root}/test-tools")
        here = os.path.dirname(os.path.abspath(__file__))
        r = run(["node", os.path.join(here, "k8s_validate.mjs"), models, path])
        check(r.returncode == 0, f"DaemonSet rejected by the API schema: {r.stdout}{r.stderr}")
        # The schema check can fail: a port given as text is refused.
        bad = json.loads(json.dumps(docs))
        bad[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "x"
        with open(path, "w") as f:
            json.dump(bad, f)
        r = run(["node", os.path.join(here, "k8s_validate.mjs"), models, path])
        check(r.returncode == 1 and "containerPort must be integer" in r.stdout, r.stdout)
        ds = docs[0]
        pod = ds["spec"]["template"]
        container = pod["spec"]["containers"][0]
        check(ds["kind"] == "DaemonSet" and pod["spec"].get("hostPID") is True,
              "the DaemonSet must share the host's PID namespace")
        check(pod["metadata"]["labels"] == ds["spec"]["selector"]["matchLabels"],
              "selector and pod labels differ")
        port = check_tracer_args(build, container["args"], "DaemonSet args")
        check(container["ports"][0]["containerPort"] == port and
              pod["metadata"]["annotations"]["prometheus.io/port"] == str(port),
              f"DaemonSet ports disagree with --metrics-listen :{port}")
        check({"BPF", "PERFMON", "SYS_ADMIN"} <= set(container["securityContext"]["capabilities"]
                                                      ["add"]), "capabilities for BPF")
        check(container["image"].endswith(":" + version()), f"image {container['image']}")
        # The container recipe: the package make deb builds, the same command.
        with open(os.path.join(PACKAGING, "Containerfile")) as f:
            recipe = f.read()
        deb = re.search(r"^ARG DEB=(\S+)$", recipe, re.M).group(1)
        check(os.path.join(REPO, deb) == os.path.join(REPO, os.path.relpath(
            deb_path(build), REPO)) or deb.endswith(os.path.basename(deb_path(build))),
              f"Containerfile installs {deb}, make deb builds {deb_path(build)}")
        cmd = json.loads(re.search(r"^CMD (\[.*\])$", recipe, re.M).group(1))
        check(cmd == container["args"], f"Containerfile CMD {cmd} != DaemonSet args")
        check(f"EXPOSE {port}" in recipe, "Containerfile does not expose the port")
    return "DaemonSet passes the Kubernetes API schema; container recipe agrees", go


def exprs(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]
    for var in dashboard["templating"]["list"]:
        q = var.get("query")
        if isinstance(q, dict):
            yield q["query"]


def scenario_grafana(build):
    def go(tmp):
        with open(os.path.join(PACKAGING, "grafana", "ttleak-dashboard.json")) as f:
            dash = json.load(f)
        seen = set()
        for expr in exprs(dash):
            names = set(re.findall(r"\bttleak_\w+", expr))
            check(names, f"a query of no ttleak series: {expr}")
            check(names <= set(SAMPLE_TYPES), f"{expr}: not exported: {names - set(SAMPLE_TYPES)}")
            seen |= names
            for fn, name in re.findall(r"\b(rate|increase|irate)\((ttleak_\w+)", expr):
                check(SAMPLE_TYPES[name] == "counter", f"{fn}() over gauge {name}")
            for group in re.findall(r"\bby \(([^)]*)\)", expr):
                used = {x.strip() for x in group.split(",")}
                check(used <= LABELS, f"{expr}: labels {used - LABELS} are not exported")
            for label in re.findall(r"[{,]\s*(\w+)\s*[!=]~?\"", expr):
                check(label in LABELS, f"{expr}: label {label} is not exported")
        check(seen == set(SAMPLE_TYPES), f"series without a panel: {set(SAMPLE_TYPES) - seen}")
        ids = [p["id"] for p in dash["panels"]]
        check(len(ids) == len(set(ids)), f"panel ids repeat: {ids}")
    return "Grafana dashboard: every series it queries is exported, each one shown", go


def complete(completion, line, cwd):
    """COMPREPLY for the command line `line` (the cursor at its end)."""
    script = (f'source "$FILE"\nCOMP_LINE="$LINE"\nread -ra COMP_WORDS <<< "$LINE"\n'
              '[[ $LINE == *" " ]] && COMP_WORDS+=("")\n'
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n'
              'complete -p "${COMP_WORDS[0]}" >/dev/null || exit 9\n'
              '"_${COMP_WORDS[0]//-/_}"\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    r = run(["bash", "--norc", "-c", script], cwd=cwd,
            env=dict(os.environ, FILE=completion, LINE=line))
    check(r.returncode == 0, f"completion of {line!r}: exit {r.returncode} {r.stderr}")
    return [w for w in r.stdout.splitlines() if w]


def scenario_completion(build):
    def go(tmp):
        for cmd in ("ttleak-bpf", "ttleak-gate"):
            completion = os.path.join(build.root, "completion", cmd)
            check(os.path.exists(completion), f"{completion} missing: run make completion")
            tool = build.tool if cmd == "ttleak-bpf" else os.path.join(build.root, cmd)
            listed = set(re.findall(r"^ {2,6}(?:-\S, )?(--[\w-]+)",
                                    run([tool, "--help"]).stdout, re.M))
            offered = set(complete(completion, f"{cmd} --", tmp)) - {"--"}
            check(offered == listed, f"{cmd}: completion {offered ^ listed} differ from --help")
        open(os.path.join(tmp, "r.json"), "w").close()
        bpf = os.path.join(build.root, "completion", "ttleak-bpf")
        check(complete(bpf, "ttleak-bpf --metrics-l", tmp) == ["--metrics-labels",
                                                               "--metrics-listen"], "prefix")
        check(set(complete(bpf, "ttleak-bpf --metrics-labels ", tmp)) ==
              {"pid", "command", "pid,command", "none"}, "--metrics-labels values")
        check(complete(bpf, "ttleak-bpf --json r", tmp) == ["r.json"], "--json FILE")
        check(str(os.getpid()) in complete(bpf, "ttleak-bpf -p ", tmp), "-p PID")
        check(complete(bpf, "ttleak-bpf -- python3 --al", tmp) != ["--all"],
              "after -- the words are the command's, not the tracer's")
        gate = os.path.join(build.root, "completion", "ttleak-gate")
        check(complete(gate, "ttleak-gate --merge r", tmp) == ["r.json"], "--merge REPORT")
    return "bash completion: every --help option, values of files, pids, labels", go


def scenarios(build):
    yield scenario_deb_installs(build)
    yield scenario_deb_on_fresh_debian(build)
    yield scenario_systemd_unit(build)
    yield scenario_container_and_daemonset(build)
    yield scenario_grafana(build)
    yield scenario_completion(build)
