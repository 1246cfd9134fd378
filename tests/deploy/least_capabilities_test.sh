#!/usr/bin/env bash
# The systemd unit's capability set is enough and each of its capabilities is needed: as an
# unprivileged user (like the unit's DynamicUser) holding exactly the unit's
# AmbientCapabilities, every probe that needs no opt-in privilege comes up (XDP on a veth
# included) and --drop-capabilities succeeds; without any one of them some probe
# cannot run.
# usage: least_capabilities_test.sh TUNESCOPE SOURCE_DIR
set -euo pipefail
tunescope=$(realpath "$1") src=$2
source "$src/tests/process/lib.sh"
require_root
command -v setpriv >/dev/null || fail "setpriv is not installed (package util-linux)"
unit=$src/deploy/systemd/tunescope.service
read -r -a caps <<<"$(sed -n 's/^AmbientCapabilities=//p' "$unit")"
((${#caps[@]} > 0)) || fail "no AmbientCapabilities= in $unit"
[[ $(sed -n 's/^CapabilityBoundingSet=//p' "$unit") == "${caps[*]}" ]] ||
  fail "AmbientCapabilities= and CapabilityBoundingSet= differ"

dev=tsd$$
cleanup_extra() { ip link del "$dev" 2>/dev/null || true; }
scratch_dir_and_daemon
chmod 755 "$tmp"
ip link add "$dev" type veth peer name "${dev}p"
ip link set "$dev" up
probes=softirq,hardirq,runqlat,qdisc,xcpu,reqlat

# run CAP... : start the daemon as nobody with exactly these capabilities; prints /healthz.
run() {
  local list=-all cap port
  for cap in "$@"; do list+=",+$(tr 'A-Z' 'a-z' <<<"${cap#CAP_}")"; done
  port=$(free_port)
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$list" --ambient-caps="$list" \
    --bounding-set="$list" "$tunescope" serve --web.listen-address="127.0.0.1:$port" \
    --probes="$probes" --target-port="$(free_port)" --xdp-iface="$dev" --drop-capabilities \
    >"$tmp/log" 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 30)) code=000
  while ((SECONDS < deadline)); do
    code=$(curl -s -o "$tmp/health" -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
    # 503 with "down: starting" is the moment between listening and the probes' start.
    [[ $code == 200 ]] && break
    [[ $code == 503 ]] && ! grep -q ': down: starting$' "$tmp/health" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    [[ $(ps -o user= -p "$pid") == nobody ]] || fail "the daemon does not run as nobody"
    kill "$pid"
    wait "$pid" || true
  else
    wait "$pid" || true
    echo "exited: $(tail -1 "$tmp/log")" >"$tmp/health"
  fi
  pid=
  cat "$tmp/health"
}

health=$(run "${caps[@]}")
for probe in ${probes//,/ }; do
  grep -q "^$probe: up" <<<"$health" || fail "with ${caps[*]}: $probe is not up: $health $(cat "$tmp/log")"
done
grep -q 'dropped all capabilities' "$tmp/log" || fail "the capability drop did not happen: $(cat "$tmp/log")"
echo "ok: ${caps[*]} run every probe as nobody"

for missing in "${caps[@]}"; do
  fewer=()
  for cap in "${caps[@]}"; do [[ $cap == "$missing" ]] || fewer+=("$cap"); done
  health=$(run "${fewer[@]}")
  if ! grep -qE ': down|^exited' <<<"$health"; then
    fail "without $missing every probe still runs: it is not needed ($health)"
  fi
  echo "ok: without $missing: $(grep -E ': down|^exited' <<<"$health" | cut -c1-100 | head -3 | tr '\n' ';')"
done
echo PASS
