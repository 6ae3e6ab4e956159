#!/usr/bin/env bash
# Builds rehearse-test/postgres:MAJOR (and :latest) from the PostgreSQL server
# binaries installed on this machine, for the container provider's tests on
# machines whose Docker engine cannot pull images.
#
#   internal/testimage/build.sh [MAJOR]     (default: newest installed)
#
# The image is FROM scratch: /usr/lib/postgresql/MAJOR (without the LLVM JIT,
# whose libLLVM is 100+ MB: JIT is simply unavailable), /usr/share/postgresql/
# MAJOR, /usr/share/zoneinfo, this machine's /bin/sh and the few programs the
# scripts call (see tools below), the shared libraries ldd lists for every
# binary and module copied, a postgres user (999) and docker-entrypoint.sh.
# A shell is not optional: initdb and pg_ctl start postgres through popen(3),
# that is /bin/sh -c, and the container provider's standby runs a script.
# Needs: docker, ldd, a POSIX /bin/sh (any: dash, bash), coreutils.
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
# What docker-entrypoint.sh and the provider's standby script call besides
# the shell's builtins and PostgreSQL's own programs.
tools=(mkdir chmod mktemp rm sleep)
shell=$(readlink -f /bin/sh)
progs=("$shell")
for t in "${tools[@]}"; do
	p=$(command -v "$t" || true)
	if [[ -z $p ]]; then
		echo "build.sh: $t not found (Debian: coreutils)" >&2
		exit 1
	fi
	progs+=("$(readlink -f "$p")")
done
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
	for p in "${progs[@]}"; do ldd "$p" 2>/dev/null || true; done
} | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done

cp -L "$shell" "$root/bin/sh"
for t in "${tools[@]}"; do
	cp -L "$(command -v "$t")" "$root/bin/$t"
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
