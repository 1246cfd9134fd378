#!/usr/bin/env bash
# Installs everything tunescope needs to build, run and test, from Debian's registry only.
# Idempotent: a second run installs nothing new. libbpf and bpftool come from
# bookworm-backports because bookworm's own libbpf 1.1 lacks netfilter links and tcx.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
backports=/etc/apt/sources.list.d/tunescope-bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$backports"
fi

runtime_pkgs=(
  libelf1 zlib1g libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1
  libyaml-cpp0.7 libcap2
)
build_pkgs=(
  build-essential cmake ninja-build pkg-config clang llvm libelf-dev zlib1g-dev
  prometheus-cpp-dev libcivetweb-dev libgtest-dev libgmock-dev libbenchmark-dev
  systemtap-sdt-dev clang-format clang-tidy libclang-rt-14-dev nlohmann-json3-dev
  libyaml-cpp-dev libcap-dev dpkg-dev
)
test_pkgs=(
  prometheus iproute2 iptables nftables ethtool wrk nginx-light libbpf-tools
  busybox-static qemu-system-x86 curl jq python3 python3-yaml procps systemd util-linux kmod
  apache2-utils iputils-ping linux-perf
  chromium python3-pil fonts-dejavu-core
  mmdebstrap debian-archive-keyring podman runc
)
backport_pkgs=(libbpf-dev bpftool)

want=("${runtime_pkgs[@]}" "${build_pkgs[@]}")
if [[ ${1:-} == --with-tests ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}" "${backport_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The backports libbpf must be >= 1.4 even if an older one is installed.
libbpf_ver=$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null || true)
if [[ -n $libbpf_ver ]] && dpkg --compare-versions "$libbpf_ver" lt 1:1.4; then
  missing+=(libbpf-dev)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything is installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
# Third-party sources configured on some hosts may be unreachable; Debian's are what we need.
apt-get update -qq || echo "install-deps: apt-get update reported errors; continuing" >&2
apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backport_pkgs[@]}"
apt-get install -y -qq --no-install-recommends "${want[@]}"
