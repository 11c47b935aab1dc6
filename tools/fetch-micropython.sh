#!/bin/sh
# Fetch MicroPython's source from Debian's own `micropython` source package
# (trixie; Debian 12 has none) without touching the system's apt configuration:
# a private sources file and lists directory, with the mirror read from the
# machine's own apt sources so no registry host is written into this repository.
#
# usage: tools/fetch-micropython.sh DESTDIR
set -eu
dest=$1
version=1.25.0+ds-1
work=$(mkdir -p "$dest.apt" && cd "$dest.apt" && pwd)

mirror=$(
    { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
      grep -hE '^deb(-src)?[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          sed -E 's/\[[^]]*\]//' | awk '{print $2}'
    } | grep -v -- '-security' | grep '/debian/*$' | head -n 1)
[ -n "$mirror" ] || { echo "fetch-micropython: no Debian mirror in the apt sources" >&2; exit 1; }

mkdir -p "$work/lists/partial" "$work/parts" "$work/cache/archives/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$work/sources.list"
opts="-o Dir::Etc::sourcelist=$work/sources.list -o Dir::Etc::sourceparts=$work/parts
      -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root"
apt-get $opts -q update
(cd "$work" && apt-get $opts -q --download-only source "micropython=$version")
dsc=$(ls "$work"/micropython_*.dsc)
case "$dsc" in *"_$version.dsc") ;; *) echo "fetch-micropython: got $dsc, wanted $version" >&2; exit 1;; esac
rm -rf "$dest.tmp" && dpkg-source --no-check -x "$dsc" "$dest.tmp" >/dev/null
grep -Eq 'MICROPY_VERSION_MINOR +25$' "$dest.tmp/py/mpconfig.h" ||
    { echo "fetch-micropython: unpacked tree is not MicroPython 1.25" >&2; exit 1; }
mv "$dest.tmp" "$dest"
echo "fetch-micropython: MicroPython $version in $dest"
