#!/usr/bin/env bash
# Installs the Debian packages Reviewer App needs that this machine lacks.
# Qt needs a few shared libraries even offscreen; xvfb lets `make run` show the app on a machine with
# no screen; poppler-utils turns report PDFs into pictures for people (and tests) to look at;
# gnome-keyring, on a private dbus-daemon session bus, is the real password store the token tests use;
# at-spi2-core (the accessibility bus and registry) with the system python3's GObject bindings for
# AT-SPI lets tests/ui/test_atspi.py read the window as a screen reader does; postgresql gives the
# server tests PostgreSQL's binaries (/usr/lib/postgresql/*/bin), with which they start a
# throwaway cluster of their own (tests/server/pg_cluster.py; the package's own cluster is unused).
# Does nothing when everything is there; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libpulse0 fonts-dejavu-core poppler-utils xvfb xauth
  dbus-daemon gnome-keyring at-spi2-core python3 python3-gi gir1.2-atspi-2.0
  postgresql
)

command -v dpkg >/dev/null 2>&1 || { echo "system-deps: not a Debian system; install Qt's libraries yourself" >&2; exit 0; }

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "system-deps: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
