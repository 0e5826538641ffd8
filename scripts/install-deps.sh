#!/usr/bin/env bash
# Install the Debian packages ttleak-bpf needs to build and test, and nothing
# when they are all present. Runs apt-get only for what is missing.
# Extra package names given as arguments are installed the same way
# (bench/install-deps.sh uses that).
set -euo pipefail

packages=(
	clang llvm            # BPF compiler, llvm-strip
	bpftool               # bpftool gen object / gen skeleton
	libbpf-dev            # libbpf
	libelf-dev libdw-dev  # ELF symbols, DWARF (elfutils)
	libcapstone-dev       # x86 decoding for probe placement
	zlib1g-dev
	libjson-c-dev         # --json output
	uthash-dev            # tracker hash tables
	libxxhash-dev         # their hash function (header only, inlined)
	libcmocka-dev         # unit tests
	libclang-rt-14-dev    # libFuzzer, for make fuzz / fuzz-smoke
	g++ make pkg-config   # simulated runtime, build
	binutils              # nm, strip (tests)
	python3               # end-to-end test runner, Python workload
	python3-prometheus-client  # e2e: the reference parser of the Prometheus text format
	python3-yaml          # e2e: reads the Kubernetes manifest
	dpkg-dev              # make deb: dpkg-deb, dpkg-architecture
	debootstrap           # e2e: a fresh Debian root the package is installed into
	"$@"
)

# e2e: the Kubernetes schemas come from the npm registry (scripts/test-tools.sh);
# a machine whose Node.js did not come from Debian keeps its own npm.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "ttleak-bpf: installing missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "ttleak-bpf: need root to install packages; run: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
