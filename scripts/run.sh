#!/usr/bin/env bash
# The main job: installs what tunescope needs, builds it and runs the daemon with its embedded
# default configuration (all default probes, metrics on :10027). Flags are passed to
# `tunescope serve`, e.g. scripts/run.sh --target-comm=nginx.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DTUNESCOPE_BUILD_TESTS=OFF
# tracepoint-mode probes need tracefs; most distributions mount it already.
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
exec "${BUILD_DIR:-$root/build}/daemon/tunescope" serve "$@"
