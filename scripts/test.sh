#!/usr/bin/env bash
# The whole test suite: installs build and test dependencies, builds everything and runs ctest
# (unit, kernel, process, refserver, advisor, e2e and the qemu multi-kernel harness).
# Kernel tests need root; under CI=true a test that would skip fails instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --with-tests
"$root/scripts/build.sh" -DTUNESCOPE_BUILD_TESTS=ON
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900 "$@"
