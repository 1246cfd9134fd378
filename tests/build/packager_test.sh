#!/usr/bin/env bash
# A packager's build: CMake's default generator (Unix Makefiles), -DCMAKE_BUILD_TYPE=Release
# (-O3), warnings as errors, with /sys/kernel/btf hidden behind an empty tmpfs (a build server
# or chroot without kernel BTF), then `cpack` makes the .deb that deploy.deb and deploy.image
# install.
# usage: packager_test.sh SOURCE_DIR BUILD_DIR      (root: the BTF is hidden in a mount namespace)
set -euo pipefail
src=$1 out=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  [[ ${CI:-} == true ]] && fail "needs root (hides /sys/kernel/btf in a mount namespace)"
  echo "SKIP: needs root"; exit 77
fi
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing (package dpkg-dev)"
# A build dir of another generator cannot be reused.
if [[ -f $out/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Unix Makefiles$' "$out/CMakeCache.txt"; then
  rm -rf "$out"
fi
mkdir -p "$out"
rm -f "$out"/tunescope_*.deb
export src out
start=$SECONDS
unshare --mount --propagation private bash -euo pipefail -c '
  mount -t tmpfs -o size=1M,mode=0755 none /sys/kernel/btf
  [[ ! -e /sys/kernel/btf/vmlinux ]]
  cmake -S "$src" -B "$out" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
        -DTUNESCOPE_BUILD_TESTS=OFF -DTUNESCOPE_WERROR=ON >/dev/null
  make -C "$out" -j"$(nproc)" --no-print-directory -s
  cd "$out" && cpack -G DEB >/dev/null
' || fail "the Unix Makefiles Release build or cpack failed (see above)"
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$out/CMakeCache.txt" || fail "not a Release build"
debs=("$out"/tunescope_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "cpack made no tunescope_*.deb in $out"
"$out/daemon/tunescope" --version
echo "PASS: $(basename "${debs[0]}") in $((SECONDS - start)) s"
