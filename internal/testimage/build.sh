#!/usr/bin/env bash
# Builds rehearse-test/postgres:MAJOR (and :latest) from the PostgreSQL server
# binaries installed on this machine, for the container provider's tests on
# machines whose Docker engine cannot pull images.
#
#   rehearse/provider/testimage/build.sh [MAJOR]     (default: newest installed)
#
# The image is FROM scratch: /usr/lib/postgresql/MAJOR (without the LLVM JIT,
# whose libLLVM is 100+ MB: JIT is simply unavailable), /usr/share/postgresql/
# MAJOR, /usr/share/zoneinfo, the shared libraries ldd lists for every binary
# and module copied, a static busybox as the shell, a postgres user (999) and
# docker-entrypoint.sh. Needs: docker, busybox (Debian: busybox-static), ldd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

major=${1:-}
if [[ -z $major ]]; then
	major=$(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -1 || true)
fi
pgroot=/usr/lib/postgresql/$major
if [[ -z $major || ! -x $pgroot/bin/postgres ]]; then
	echo "build.sh: no PostgreSQL server under /usr/lib/postgresql/${major:-*} (Debian: apt-get install -y postgresql)" >&2
	exit 1
fi
busybox=$(command -v busybox || true)
if [[ -z $busybox ]]; then
	echo "build.sh: busybox not found (Debian: apt-get install -y busybox-static)" >&2
	exit 1
fi
tag=rehearse-test/postgres:$major

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root"/{bin,etc,tmp,usr/local/bin,usr/lib/postgresql,usr/share/postgresql} \
	"$ctx"/pgdata/var/lib/postgresql "$ctx"/pgdata/var/run/postgresql

cp -a "$pgroot" "$root/usr/lib/postgresql/"
rm -rf "$root$pgroot"/lib/llvmjit* "$root$pgroot"/lib/bitcode
cp -a "/usr/share/postgresql/$major" "$root/usr/share/postgresql/"
rm -rf "$root/usr/share/postgresql/$major/man"
if [[ -d /usr/share/zoneinfo ]]; then
	mkdir -p "$root/usr/share" && cp -a /usr/share/zoneinfo "$root/usr/share/"
fi

# Every shared library that a copied binary or module needs, at the path the
# dynamic loader searches (ldd's left-hand path), as a regular file.
{
	find "$root$pgroot" -type f \( -perm -u+x -o -name '*.so*' \) -print |
		sed "s|^$root||" | while read -r f; do ldd "$f" 2>/dev/null || true; done
	ldd "$busybox" 2>/dev/null || true
} | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done

cp -L "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' >"$root/etc/group"
install -m 0755 "$here/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

# COPY keeps modes: mktemp's 0700 would lock the postgres user out.
find "$ctx" -type d -exec chmod 0755 {} +
chmod 1777 "$root/tmp"

if ! out=$(docker build -q -f "$here/Dockerfile" --build-arg "PG_MAJOR=$major" -t "$tag" -t rehearse-test/postgres:latest "$ctx" 2>&1); then
	echo "$out" >&2
	exit 1
fi
echo "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
