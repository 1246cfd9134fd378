#!/usr/bin/env bash
# Makes a Debian 12 root directory with tunescope's .deb installed in it, from Debian's own
# archive only (mmdebstrap; no container base image): the root of the OCI image
# (deploy/image/build.sh) and of the package test (tests/deploy/deb_test.sh).
#
# usage: deploy/image/rootfs.sh DEB DIR [CACHE_DIR]       (as root; DIR must not exist)
#   MIRROR=http://deb.debian.org/debian   SECURITY_MIRROR=http://deb.debian.org/debian-security
#
# The root is a minbase Debian 12 with bookworm-backports in its sources, the way a user's host
# is set up (docs/install.md): apt installs the .deb there and resolves its Depends from the
# archive, libbpf1 from bookworm-backports. With CACHE_DIR the root without tunescope is kept as
# a tarball, keyed by the .deb's Depends and this script, and later roots are that tarball plus
# `dpkg -i` of the .deb: no download, and dpkg itself checks the Depends are met.
set -euo pipefail
die() { echo "rootfs.sh: $*" >&2; exit 1; }
[[ $# -ge 2 && $# -le 3 ]] || die "usage: rootfs.sh DEB DIR [CACHE_DIR]"
deb=$(realpath "$1") dir=$2 cache=${3:-}
[[ $(id -u) -eq 0 ]] || die "must run as root (mmdebstrap, chroot)"
[[ -f $deb ]] || die "no .deb at $1"
[[ ! -e $dir ]] || die "$dir exists"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
mirror=${MIRROR:-http://deb.debian.org/debian}
security=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
pkg=$(dpkg-deb -f "$deb" Package)

# apt-get installs the .deb in the finished minbase root as a user would (docs/install.md);
# `dpkg --purge` then keeps what apt pulled in for it: the cached base.
base_tar() {
  local out=$1 name
  name=$(basename "$deb")
  mmdebstrap --quiet --variant=minbase \
    --customize-hook="copy-in $deb /tmp" \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install --yes -qq /tmp/$name libbpf1/bookworm-backports" \
    --customize-hook="chroot \"\$1\" dpkg --purge $pkg" \
    --customize-hook="rm -f \"\$1/tmp/$name\"" \
    --customize-hook='chroot "$1" apt-get clean' \
    bookworm "$out" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" "deb $mirror bookworm-backports main" ||
    die "mmdebstrap failed (is $mirror reachable?)"
}

tmp_tar=
trap '[[ -z $tmp_tar ]] || rm -f "$tmp_tar"' EXIT
if [[ -n $cache ]]; then
  mkdir -p "$cache"
  key=$( { dpkg-deb -f "$deb" Depends Pre-Depends; cat "$0"; echo "$mirror $security"; } |
         sha256sum | cut -c1-16)
  tar=$cache/debian12-base-$key.tar
  if [[ ! -f $tar ]]; then
    echo "rootfs.sh: building the base root (mmdebstrap, once per Depends) into $tar" >&2
    rm -f "$cache"/debian12-base-*.tar "$cache"/partial-*.tar
    # mmdebstrap picks the output format from the name: keep .tar last.
    base_tar "$cache/partial-$key.tar"
    mv "$cache/partial-$key.tar" "$tar"
  fi
else
  tmp_tar=$(mktemp --suffix=.tar)
  base_tar "$tmp_tar"
  tar=$tmp_tar
fi

mkdir -p "$dir"
tar -x -C "$dir" -f "$tar"
cp "$deb" "$dir/tmp/$pkg.deb"
chroot "$dir" dpkg -i "/tmp/$pkg.deb" >/dev/null || die "dpkg -i $(basename "$deb") failed"
rm -f "$dir/tmp/$pkg.deb"
