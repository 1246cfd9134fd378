#!/usr/bin/env bash
# `cmake --install` lays out a real install: binaries in sbin and bin, the systemd unit naming
# the installed daemon, dashboards, alert rules, Kubernetes manifests and the web-config example
# under share/tunescope, docs under share/doc/tunescope; nothing else (no test binaries).
# Installed with DESTDIR and a prefix other than the default, as a packager would.
# usage: install_layout_test.sh BUILD_DIR
set -euo pipefail
build=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/tunescope
DESTDIR=$tmp cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }
r=$tmp$prefix
for f in sbin/tunescope bin/refserver; do
  [[ -x $r/$f ]] || fail "no executable $prefix/$f"
done
"$r/sbin/tunescope" --version | grep -q '^tunescope ' || fail "the installed tunescope does not run"
"$r/bin/refserver" --help >/dev/null 2>&1 || fail "the installed refserver does not run"
want=(
  lib/systemd/system/tunescope.service
  share/tunescope/dashboards/tunescope-overview.json
  share/tunescope/dashboards/tunescope-probes.json
  share/tunescope/grafana/provisioning/dashboards/tunescope.yaml
  share/tunescope/grafana/provisioning/datasources/tunescope.yaml
  share/tunescope/prometheus/prometheus.yml
  share/tunescope/prometheus/tunescope-rules.yml
  share/tunescope/prometheus/tunescope-tuning-commands.yml
  share/tunescope/kubernetes/daemonset.yaml
  share/tunescope/kubernetes/servicemonitor.yaml
  share/tunescope/kubernetes/prometheus-scrape-job.yaml
  share/tunescope/web-config.example.yml
  share/doc/tunescope/README.md
  share/doc/tunescope/docs/deploy.md
  share/doc/tunescope/docs/install.md
)
for f in "${want[@]}"; do
  [[ -f $r/$f ]] || fail "no $prefix/$f"
done
# Every dashboard the repository has is installed.
for d in "$(dirname "$0")"/../../dashboards/*.json; do
  [[ -f $r/share/tunescope/dashboards/$(basename "$d") ]] || fail "dashboard $(basename "$d") not installed"
done
unit=$r/lib/systemd/system/tunescope.service
grep -q "^ExecStart=$prefix/sbin/tunescope serve " "$unit" ||
  fail "the installed unit does not run $prefix/sbin/tunescope: $(grep '^ExecStart=' "$unit")"
# Only what is listed above and the docs: a stray install() (a test binary, a library) fails.
extra=$(cd "$r" && find . -type f | sed 's|^\./||' | sort |
        grep -v -e '^sbin/tunescope$' -e '^bin/refserver$' -e '^share/doc/tunescope/' |
        grep -vxF -f <(printf '%s\n' "${want[@]}") || true)
[[ -z $extra ]] || fail "unexpected installed files: $extra"
# The manifest lists the unit too (cmake/InstallUnit.cmake), so that uninstall scripts find it.
grep -q "tunescope.service$" "$build/install_manifest.txt" || fail "install_manifest.txt lacks the unit"
echo "PASS: $(cd "$r" && find . -type f | wc -l) files under $prefix"
