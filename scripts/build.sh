#!/usr/bin/env bash
# Configures and builds tunescope into build/ (or $BUILD_DIR). Extra arguments go to cmake.
# Warnings are errors here (the project's own check); a plain cmake build leaves them warnings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DTUNESCOPE_WERROR=ON "$@" >/dev/null
ninja -C "$build" -j"$(nproc)"
