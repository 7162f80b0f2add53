#!/usr/bin/env bash
# Builds the workspace image without any container registry, from Debian's packages only:
#   debootstrap --variant=minbase (from the apt mirror this machine is configured with)
#   -> chroot: setup.sh packages (packages.txt)   [cached: a tarball keyed by what it depends on]
#   -> chroot: setup.sh configure
#   -> tar | docker import, with the ENV/USER/WORKDIR/ENTRYPOINT/CMD/LABEL lines of the Dockerfile
# Tags agent-platform/workspace:<hash of the inputs> and :latest. When <hash> exists already it
# exits at once, so a second build costs nothing.
#
# Usage: sudo docker/workspace/build-offline.sh [--force] [--no-base-cache] [--print-tag]
#   --print-tag      print the image:tag the current inputs make, and exit (no root, no engine)
#   --force          build even when the tag exists
#   --no-base-cache  ignore (and replace) the cached base root
# Environment: WORKSPACE_IMAGE (agent-platform/workspace), WORKSPACE_SUITE (bookworm),
#   WORKSPACE_CACHE_DIR (/var/cache/agent-platform/workspace), DEBIAN_MIRROR and
#   DEBIAN_SECURITY_MIRROR (default: what /etc/apt/sources.list* names for the suite).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=${WORKSPACE_IMAGE:-agent-platform/workspace}
SUITE=${WORKSPACE_SUITE:-bookworm}
CACHE_DIR=${WORKSPACE_CACHE_DIR:-/var/cache/agent-platform/workspace}
INPUTS=(Dockerfile packages.txt setup.sh build-offline.sh)

force=0 base_cache=1 print_tag=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --no-base-cache) base_cache=0 ;;
    --print-tag) print_tag=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-offline.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

t0=$(date +%s.%N)
say() { printf 'build-offline.sh: %s\n' "$*"; }
die() { printf 'build-offline.sh: error: %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

# --- the tag: a hash of every input of the image ---------------------------------------------
for f in "${INPUTS[@]}"; do [ -r "$here/$f" ] || die "missing input $here/$f"; done
hash=$({ echo "suite=$SUITE"; for f in "${INPUTS[@]}"; do echo "== $f"; cat "$here/$f"; done; } \
  | sha256sum | cut -c1-12)
tag="$IMAGE:$hash"
if [ "$print_tag" = 1 ]; then echo "$tag"; exit 0; fi

# --- fast path: the image exists ----------------------------------------------------------------
command -v docker >/dev/null || die "no docker CLI on PATH (apt-get install docker.io)"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}: start it first (dockerd >/var/log/dockerd.log 2>&1 &)"
if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$IMAGE:latest"
  say "$tag exists (inputs unchanged); tagged :latest ($(since "$t0"))"
  exit 0
fi

# --- a real build -------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "building needs root (debootstrap, chroot, mknod, mount): run it with sudo"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] \
  || die "no /usr/share/keyrings/debian-archive-keyring.gpg (apt-get install debian-archive-keyring)"

mkdir -p "$CACHE_DIR/debs/partial"
exec 9>"$CACHE_DIR/build.lock"
if ! flock -n 9; then
  say "another build holds $CACHE_DIR/build.lock; waiting"
  flock 9
fi
if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$IMAGE:latest"
  say "$tag was built meanwhile; tagged :latest"
  exit 0
fi

# The first URI that serves suite $1 in this machine's apt sources (one-line and deb822 formats).
mirror_for() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      awk -v s="$suite" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == s) print $i }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] || continue
      awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
        uris = ""; suites = ""; types = ""
        for (j = 1; j <= NF; j++) {
          if ($j ~ /^URIs:/) { uris = $j; sub(/^URIs:[ \t]*/, "", uris) }
          if ($j ~ /^Suites:/) { suites = $j; sub(/^Suites:/, "", suites); suites = suites " " }
          if ($j ~ /^Types:/) types = $j " "
        }
        if (types ~ / deb / && suites ~ (" " s " ")) { split(uris, u, " "); print u[1] }
      }' "$f"
    done
  } | head -n1
}
mirror=${DEBIAN_MIRROR:-$(mirror_for "$SUITE")}
mirror=${mirror:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-$(mirror_for "$SUITE-security")}
say "building $tag (suite $SUITE, mirror $mirror${security:+, security $security})"

# >>> base (the cached root is keyed by this section, packages.txt and setup.sh's packages part)
DEBOOTSTRAP_ARGS=(--variant=minbase --components=main --merged-usr
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
sources_for() { # $1 mirror, $2 security mirror: the deb822 list debian:bookworm-slim has
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$1" "$SUITE" "$SUITE"
  [ -z "$2" ] || printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$2" "$SUITE"
}
# <<< base
base_key=$({ echo "suite=$SUITE mirror=$mirror security=$security"
  sed -n '/^# >>> base/,/^# <<< base/p' "$here/build-offline.sh"
  sed -n '/^# >>> packages/,/^# <<< packages/p' "$here/setup.sh"
  cat "$here/packages.txt"; } | sha256sum | cut -c1-12)
base_tar="$CACHE_DIR/base-$base_key.tar"

work=$(mktemp -d /var/tmp/agent-workspace-build.XXXXXX)
root="$work/root"
mounts=(var/cache/apt/archives dev/pts proc)
unmount_all() {
  local m
  for m in "${mounts[@]}"; do
    if mountpoint -q "$root/$m" 2>/dev/null; then umount "$root/$m" || umount -l "$root/$m"; fi
  done
}
cleanup() {
  local rc=$?
  set +e
  unmount_all
  if grep -q " $work/" /proc/mounts; then
    echo "build-offline.sh: something is still mounted under $work; not removing it" >&2
  else
    rm -rf "$work"
  fi
  if [ "$rc" = 0 ]; then say "done in $(since "$t0") (with clean-up)"
  else echo "build-offline.sh: FAILED after $(since "$t0") (exit $rc)" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_dev() { # the static nodes debootstrap makes; not kept in tarballs
  local spec name mode major minor
  mkdir -p "$root/dev/pts" "$root/dev/shm"
  for spec in null:666:1:3 zero:666:1:5 full:666:1:7 random:666:1:8 urandom:666:1:9 tty:666:5:0 ptmx:666:5:2; do
    IFS=: read -r name mode major minor <<<"$spec"
    [ -e "$root/dev/$name" ] || mknod -m "$mode" "$root/dev/$name" c "$major" "$minor"
  done
  for spec in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
    ln -sfn "${spec#*:}" "$root/dev/${spec%%:*}"
  done
}
enter() { # mount what package scripts need
  ensure_dev
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  mountpoint -q "$root/dev/pts" || mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"  # start no service
  chmod 755 "$root/usr/sbin/policy-rc.d"
}
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
run_setup() { # $1: phase; apt's chatter goes to a log, shown when the phase fails
  local log="$work/setup-$1.log"
  if ! in_root sh /tmp/workspace-build/setup.sh "$1" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "setup.sh $1 failed in the chroot (last lines above)"
  fi
  grep '^setup.sh:' "$log" || true
}
tar_root() { # $1: output ("-" for stdout)
  tar --numeric-owner -C "$root" -c -f "$1" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./tmp/workspace-build' .
}
stage() { mkdir -p "$root/tmp/workspace-build"; cp "$here/packages.txt" "$here/setup.sh" "$root/tmp/workspace-build/"; }

# 1. the base: minbase + packages.txt, from the cache when its key matches
t=$(date +%s.%N)
if [ "$base_cache" = 1 ] && [ -f "$base_tar" ]; then
  mkdir -p "$root"
  tar --numeric-owner -C "$root" -xpf "$base_tar"
  say "base: from cache $base_tar ($(since "$t"))"
else
  say "base: debootstrap $SUITE (minbase)"
  debootstrap "${DEBOOTSTRAP_ARGS[@]}" --cache-dir="$CACHE_DIR/debs" "$SUITE" "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  say "base: debootstrap done ($(since "$t"))"
  t=$(date +%s.%N)
  rm -f "$root/etc/apt/sources.list"
  sources_for "$mirror" "$security" >"$root/etc/apt/sources.list.d/debian.sources"
  enter
  mkdir -p "$root/var/cache/apt/archives"
  mount --bind "$CACHE_DIR/debs" "$root/var/cache/apt/archives"  # downloaded .debs persist
  stage
  run_setup packages
  unmount_all
  say "base: packages installed ($(since "$t"))"
  t=$(date +%s.%N)
  rm -f "$CACHE_DIR"/base-*.tar
  tar_root "$base_tar.partial" && mv "$base_tar.partial" "$base_tar"
  say "base: cached as $base_tar, $(du -h "$base_tar" | cut -f1) ($(since "$t"))"
fi

# 2. configure (user, fonts, matplotlib, clean-up)
t=$(date +%s.%N)
enter
stage
run_setup configure
unmount_all
rm -rf "$root/tmp/workspace-build" "$root/usr/sbin/policy-rc.d"
: >"$root/etc/resolv.conf"  # Docker provides resolv.conf, hosts and hostname at run time
: >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
sources_for http://deb.debian.org/debian http://deb.debian.org/debian-security \
  >"$root/etc/apt/sources.list.d/debian.sources"
say "configure: done ($(since "$t"))"

# 3. import, with the Dockerfile's configuration lines
t=$(date +%s.%N)
changes=()
while IFS= read -r line; do
  changes+=(--change "$line")
done < <(sed -n '/^# >>> image config/,/^# <<< image config/p' "$here/Dockerfile" \
  | grep -E '^(ENV|LABEL|USER|WORKDIR|ENTRYPOINT|CMD|STOPSIGNAL) ')
[ "${#changes[@]}" -ge 10 ] || die "found too few image config lines in $here/Dockerfile"
changes+=(--change "LABEL agent-platform.workspace.inputs=$hash")
previous=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)  # with --force
tar_root - | docker import "${changes[@]}" --message "build-offline.sh $hash" - "$tag" >/dev/null
docker tag "$tag" "$IMAGE:latest"
say "import: $tag ($(since "$t"))"

if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
# older hash tags of this image go (an image a container still uses stays)
docker image ls "$IMAGE" --format '{{.Tag}}' | grep -E '^[0-9a-f]{12}$' | grep -vx "$hash" \
  | while read -r old; do docker image rm "$IMAGE:$old" >/dev/null 2>&1 && say "removed old $IMAGE:$old"; done || true

size=$(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')
say "built $tag and :latest, $size, in $(since "$t0")"
