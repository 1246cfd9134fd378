#!/usr/bin/env bash
# Builds the OCI image the DaemonSet runs (deploy/kubernetes/daemonset.yaml names it):
# localhost/tunescope:<version>, a Debian 12 root made by mmdebstrap from Debian's archive with
# tunescope's .deb installed (deploy/image/rootfs.sh), imported with `podman import`. No base
# image is fetched from any registry. As root.
#
# usage: deploy/image/build.sh [--deb FILE] [--tag NAME] [--cache DIR]
#   --deb    the package (default: the newest build/tunescope_*_<arch>.deb, made by
#            `cmake --build build --target package`)
#   --tag    image name (default: localhost/tunescope:<the package's version>)
#   --cache  keep the Debian root without tunescope here (rootfs.sh), to build again offline
#   PODMAN="podman --root DIR --runroot DIR" to use another image store.
# Then, e.g.: podman save localhost/tunescope:0.1.0 | ctr -n k8s.io images import -   (each node)
set -euo pipefail
die() { echo "build.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
deb= tag= cache=
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    *) die "unknown argument $1 (--deb FILE, --tag NAME, --cache DIR)" ;;
  esac
done
read -r -a podman <<<"${PODMAN:-podman}"
command -v "${podman[0]}" >/dev/null || die "podman is not installed (apt-get install podman)"
if [[ -z $deb ]]; then
  deb=$(ls -t "$root"/build/tunescope_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n1) ||
    true
  [[ -n $deb ]] || die "no build/tunescope_*.deb: cmake --build build --target package, or --deb"
fi
version=$(dpkg-deb -f "$deb" Version) || die "$deb is not a .deb"
tag=${tag:-localhost/tunescope:$version}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/rootfs.sh" "$deb" "$work/root" ${cache:+"$cache"}
# Nothing in the image needs apt's lists, caches or the build's logs; the root stays read-only
# at run time (readOnlyRootFilesystem), so /tmp is whatever the runtime mounts there.
rm -rf "$work"/root/var/lib/apt/lists/* "$work"/root/var/cache/apt/* "$work"/root/var/log/*
tar -C "$work/root" --numeric-owner -cf "$work/root.tar" .
"${podman[@]}" import \
  --change 'ENTRYPOINT ["/usr/sbin/tunescope"]' \
  --change 'CMD ["serve"]' \
  --change 'EXPOSE 10027/tcp' \
  --change "LABEL org.opencontainers.image.title=tunescope org.opencontainers.image.version=$version" \
  --message "tunescope $version on Debian 12 (mmdebstrap), deploy/image/build.sh" \
  "$work/root.tar" "$tag" >/dev/null
echo "build.sh: $tag ($(du -sh "$work/root.tar" | cut -f1) root from $(basename "$deb"))"
