#!/usr/bin/env bash
# Build the Debian package of ttleak-bpf with dpkg-deb from a built tree.
# Usage: scripts/make-deb.sh BUILD-DIR VERSION (make deb runs it).
# Depends: is read off the binary itself: the package of every shared
# library it needs (dpkg -S), plus python3 for the gate.
set -euo pipefail
build=$1
version=$2
arch=$(dpkg --print-architecture)
stage=$build/deb/ttleak-bpf_${version}_$arch
out=$build/ttleak-bpf_${version}_$arch.deb

rm -rf "$stage"
install -D -m 0755 "$build/ttleak-bpf" "$stage/usr/sbin/ttleak-bpf"
install -D -m 0755 "$build/ttleak-gate" "$stage/usr/sbin/ttleak-gate"
strip --strip-unneeded "$stage/usr/sbin/ttleak-bpf"
for page in man/ttleak-bpf.8 man/ttleak-gate.8; do
	install -D -m 0644 "$page" "$stage/usr/share/man/man8/$(basename "$page")"
	gzip -9n "$stage/usr/share/man/man8/$(basename "$page")"
done
install -D -m 0644 packaging/systemd/ttleak-bpf.service \
	"$stage/lib/systemd/system/ttleak-bpf.service"
install -D -m 0644 packaging/deb/default "$stage/etc/default/ttleak-bpf"
for cmd in ttleak-bpf ttleak-gate; do
	install -D -m 0644 "$build/completion/$cmd" \
		"$stage/usr/share/bash-completion/completions/$cmd"
done
install -D -m 0644 packaging/deb/copyright "$stage/usr/share/doc/ttleak-bpf/copyright"

# One package per needed library, found where the dynamic linker finds it.
depends=python3
for lib in $(objdump -p "$build/ttleak-bpf" | awk '/NEEDED/ { print $2 }'); do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }')
	[[ -n $path ]] || { echo "make-deb: $lib not found by ldconfig" >&2; exit 1; }
	real=$(readlink -f "$path")
	pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$real")
	pkg=${pkg%%:*}
	[[ ,$depends, == *,\ $pkg,* || $depends == "$pkg" ]] || depends="$depends, $pkg"
done

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$depends/" packaging/deb/control > "$stage/DEBIAN/control"
echo /etc/default/ttleak-bpf > "$stage/DEBIAN/conffiles"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
