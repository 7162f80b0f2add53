#!/bin/sh
# Sets up the workspace image's root filesystem. Runs as root INSIDE that root, in both builds:
#   Dockerfile        RUN sh /tmp/workspace-build/setup.sh all       (on debian:bookworm-slim)
#   build-offline.sh  chroot ROOT sh /tmp/workspace-build/setup.sh packages, then ... configure
#                     (on a debootstrap --variant=minbase of bookworm)
# Phases:
#   packages   apt/dpkg settings (no recommends, no docs) and the packages in packages.txt
#   configure  the `agent` user, matplotlib's Korean font set-up, pip, clean-up
#   all        both, in that order
# build-offline.sh caches the root after `packages`, keyed by packages.txt and the part of this file
# between the two ">>> packages" / "<<< packages" marks: edit outside them and a rebuild reuses it.
set -eu

phase=${1:-all}
here=$(cd "$(dirname "$0")" && pwd)
packages_file=${PACKAGES_FILE:-$here/packages.txt}
export DEBIAN_FRONTEND=noninteractive
export LANG=C.UTF-8

say() { echo "setup.sh: $*"; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root inside the image's root filesystem"

# >>> packages
strip_docs() {
  find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
  find /usr/share/doc -mindepth 1 -depth -type d -empty -delete
  rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda
  find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}

install_packages() {
  [ -r "$packages_file" ] || die "cannot read $packages_file"
  # No documentation, man pages or translations from any package installed from here on
  # (debian:bookworm-slim has the same rules; the debootstrap'd base gets them here). Nor Boost's
  # 160 MB of headers: python3-scipy hard-depends on python3-pythran, which pulls libboost-dev
  # (and g++, python3-dev); nothing in the workspace compiles against Boost.
  mkdir -p /etc/dpkg/dpkg.cfg.d /etc/apt/apt.conf.d
  cat >/etc/dpkg/dpkg.cfg.d/90-agent-platform-nodoc <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/include/boost/*
EOF
  cat >/etc/apt/apt.conf.d/90-agent-platform <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::Retries "3";
EOF
  # shellcheck disable=SC2046 # one package name per word is the point
  set -- $(sed -e 's/#.*//' "$packages_file")
  [ $# -gt 0 ] || die "$packages_file lists no package"
  say "installing $# packages (and their dependencies)"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "$@"
  strip_docs
}
# <<< packages

configure() {
  say "user agent (uid 1000), HOME /home/agent"
  if ! getent group agent >/dev/null; then groupadd --gid 1000 agent; fi
  if ! getent passwd agent >/dev/null; then
    useradd --uid 1000 --gid 1000 --home-dir /home/agent --create-home --shell /bin/bash agent
  fi
  [ "$(id -u agent)" = 1000 ] || die "user agent exists with a uid other than 1000"

  # pip: the root filesystem is read-only at run time, so `pip install x` falls back to a user
  # install into ~/.local (on the user's volume). Debian's PEP 668 marker would refuse that.
  rm -f /usr/lib/python3*/EXTERNALLY-MANAGED

  say "matplotlib: NanumGothic first (Hangul), Agg backend, ASCII minus"
  python3 - <<'EOF'
import re, subprocess, os
settings = {
    "backend": "Agg",
    "font.family": "sans-serif",
    # NanumGothic first: every backend (PDF and SVG too, which have no per-glyph fallback in
    # matplotlib 3.6) then draws Hangul; DejaVu Sans and the rest stay as fallbacks for Agg.
    "font.sans-serif": "NanumGothic, NanumBarunGothic, DejaVu Sans, Bitstream Vera Sans, "
                       "Computer Modern Sans Serif, Lucida Grande, Verdana, Geneva, Lucid, Arial, "
                       "Helvetica, Avant Garde, sans-serif",
    # Korean fonts lack U+2212; a hyphen-minus keeps negative tick labels from turning into boxes.
    "axes.unicode_minus": "False",
}
data = subprocess.run(["python3", "-c", "import matplotlib; print(matplotlib.get_data_path())"],
                      check=True, capture_output=True, text=True,
                      env={**os.environ, "MPLCONFIGDIR": "/tmp/mpl-setup"}).stdout.strip()
# /etc/matplotlibrc is Debian's active rc file (rcParams); mpl-data/matplotlibrc holds the
# defaults that rcdefaults() and seaborn's reset_defaults() go back to. Set both.
for path in sorted({"/etc/matplotlibrc", os.path.realpath(os.path.join(data, "matplotlibrc"))}):
    if not os.path.exists(path):
        continue
    out, seen = [], set()
    for line in open(path, encoding="utf-8").read().splitlines():
        m = re.match(r"^#?\s*([A-Za-z0-9_.-]+)\s*:", line)
        if m and not line.startswith("##") and m.group(1) in settings:
            key = m.group(1)
            if key not in seen:
                out.append(f"{key}: {settings[key]}  # agent-platform workspace")
                seen.add(key)
            continue
        out.append(line)
    out += [f"{k}: {v}  # agent-platform workspace" for k, v in settings.items() if k not in seen]
    open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
    print(f"setup.sh:   edited {path}")
EOF
  rm -rf /tmp/mpl-setup

  say "seaborn: NanumGothic first in its styles' font list (set_theme() would drop Hangul)"
  rcmod=/usr/lib/python3/dist-packages/seaborn/rcmod.py
  [ -f "$rcmod" ] || die "no $rcmod (is python3-seaborn in packages.txt?)"
  if ! grep -q '"NanumGothic", "Arial"' "$rcmod"; then
    grep -q '"font.sans-serif": \["Arial",' "$rcmod" \
      || die "seaborn's rcmod.py changed: cannot add NanumGothic to its font list ($rcmod)"
    sed -i 's/"font.sans-serif": \["Arial",/"font.sans-serif": ["NanumGothic", "Arial",/' "$rcmod"
    python3 -m py_compile "$rcmod"
  fi
  rm -rf /root/.config/matplotlib /root/.cache/matplotlib

  say "matplotlib font cache for agent (a new volume at /home/agent starts with it)"
  mkdir -p /home/agent/.config/matplotlib
  HOME=/home/agent MPLCONFIGDIR=/home/agent/.config/matplotlib python3 - <<'EOF'
import warnings
import matplotlib
from matplotlib import font_manager as fm
from matplotlib.ft2font import FT2Font
# family must be a list: a bare string is parsed as a fontconfig pattern
path = fm.findfont(fm.FontProperties(family=["sans-serif"]), fallback_to_default=False)
import seaborn as sns
sns.set_theme()
themed = fm.findfont(fm.FontProperties(family=matplotlib.rcParams["font.family"]),
                     fallback_to_default=False)
for p in (path, themed):
    font = FT2Font(p)
    missing = [c for c in "한글 차트" if c != " " and font.get_char_index(ord(c)) == 0]
    if missing:
        raise SystemExit(f"setup.sh: error: {p} has no glyph for {missing}")
print(f"setup.sh:   sans-serif -> {path}; after seaborn set_theme -> {themed}")
EOF
  chown -R 1000:1000 /home/agent

  say "clean-up"
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old \
    /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/cache/ldconfig/aux-cache \
    /root/.cache /root/.config /tmp/* /var/tmp/*
  rm -f /etc/machine-id /var/lib/dbus/machine-id
  strip_docs
}

case "$phase" in
  packages) install_packages ;;
  configure) configure ;;
  all) install_packages; configure ;;
  *) die "unknown phase '$phase' (packages | configure | all)" ;;
esac
say "$phase: done"
