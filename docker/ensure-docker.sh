#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine (Debian 12, root): installs docker.io and
# debootstrap from Debian when missing, starts dockerd in the background when none answers, and
# waits for it. Safe to run again: it does nothing when all is there.
# Usage: docker/ensure-docker.sh      (dockerd logs to $DOCKERD_LOG, default /var/log/dockerd.log)
set -euo pipefail
say() { printf 'ensure-docker.sh: %s\n' "$*"; }
die() { printf 'ensure-docker.sh: error: %s\n' "$*" >&2; exit 1; }

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install ${need[*]}"
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  say "engine answers ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "no Docker engine answers and starting one needs root"
log=${DOCKERD_LOG:-/var/log/dockerd.log}
say "starting dockerd (log: $log)"
nohup dockerd >>"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 150); do  # up to 30 s
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    say "engine answers ($(docker version --format '{{.Server.Version}}')), dockerd pid $pid"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; die "dockerd exited (log above)"; }
  sleep 0.2
done
tail -n 20 "$log" >&2
die "dockerd (pid $pid) did not answer within 30 s"
