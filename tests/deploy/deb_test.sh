#!/usr/bin/env bash
# The .deb (from build.packager) installs like a Debian program and runs the daemon:
#  - its Depends name packages that Debian 12 (with bookworm-backports) has, libbpf1 >= 1.4,
#    prometheus-cpp and CivetWeb among them; it holds the install layout and no test binary;
#  - in a clean Debian 12 root made by mmdebstrap from Debian's archive, apt installs it with
#    its dependencies (the root is cached in CACHE_DIR, keyed by the Depends; later runs
#    `dpkg -i` it into that root offline, where dpkg checks the Depends);
#  - `systemd-analyze verify` accepts the installed unit, and the unit's own
#    ExecStart, run in the root (chroot, the host's /proc, /sys and /dev bind-mounted) as an
#    unprivileged user with exactly the unit's AmbientCapabilities, serves /metrics with probes
#    up on a loopback port and exits 0 on SIGTERM.
# usage: deb_test.sh PACKAGE_DIR CACHE_DIR       (root)
set -euo pipefail
pkgdir=$1 cache=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  [[ ${CI:-} == true ]] && fail "needs root (mmdebstrap, chroot)"
  echo "SKIP: needs root"; exit 77
fi
debs=("$pkgdir"/tunescope_*.deb)
[[ -f ${debs[0]} ]] || fail "no tunescope_*.deb in $pkgdir (build.packager makes it)"
deb=${debs[0]}

# Control fields: every Depends is a Debian package name, the libraries tunescope links are there.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
names=$(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
for n in $names; do
  [[ -n $(apt-cache show "$n" 2>/dev/null) ]] || fail "Depends names $n, which Debian 12 does not have"
done
for want in 'libbpf1 (>= 1:1.4' libprometheus-cpp-core libcivetweb1 libc6; do
  grep -qF "$want" <<<"$depends" || fail "Depends lacks $want"
done
[[ $(dpkg-deb -f "$deb" Architecture) == "$(dpkg --print-architecture)" ]] || fail "wrong Architecture"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/tunescope ./usr/bin/refserver ./usr/lib/systemd/system/tunescope.service \
         ./usr/share/tunescope/dashboards/tunescope-overview.json \
         ./usr/share/tunescope/prometheus/tunescope-rules.yml \
         ./usr/share/tunescope/web-config.example.yml ./usr/share/doc/tunescope/README.md; do
  grep -qxF "$f" <<<"$contents" || fail "the package lacks $f"
done
! grep -E '_tests$|/include/|\.a$' <<<"$contents" || fail "the package holds test or build files"

work=$(mktemp -d)
pid=
cleanup() {
  [[ -z $pid ]] || kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start=$SECONDS
bash "$src/deploy/image/rootfs.sh" "$deb" "$work/root" "$cache" || fail "rootfs.sh failed"
root=$work/root
echo "root with the package in $((SECONDS - start)) s"
chroot "$root" dpkg-query -W -f='${Status} ${Version}\n' tunescope | grep -q '^install ok installed' ||
  fail "tunescope is not installed in the root"
chroot "$root" /usr/sbin/tunescope --version

unit=$root/usr/lib/systemd/system/tunescope.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ $exec_start == /usr/sbin/tunescope\ serve* ]] || fail "installed unit runs $exec_start"
# The root has no systemd (minbase): verify the installed unit on the host, its ExecStart=
# pointing into the root, so that the binary it names is checked too.
sed "s|^ExecStart=/usr/sbin/tunescope |ExecStart=$root/usr/sbin/tunescope |" "$unit" \
  >"$work/tunescope.service"
if out=$(systemd-analyze verify "$work/tunescope.service" 2>&1); then
  [[ -z $out ]] || fail "systemd-analyze verify warns: $out"
else
  fail "systemd-analyze verify: $out"
fi

# The unit's user: a dynamic one, unprivileged, with only its ambient capabilities.
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[[ -n $caps ]] || fail "no AmbientCapabilities in the installed unit"
setpriv_caps=$(for c in $caps; do c=${c#CAP_}; printf '+%s,' "${c,,}"; done)
setpriv_caps=${setpriv_caps%,}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
set -- $exec_start
args=()
for a in "$@"; do
  [[ $a == --web.listen-address=* ]] && a=--web.listen-address=127.0.0.1:$port
  args+=("$a")
done
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
export root setpriv_caps
unshare --mount --propagation private bash -euc '
  mount --rbind /proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  exec chroot "$root" setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps="-all,$setpriv_caps" --ambient-caps="-all,$setpriv_caps" \
    --bounding-set="-all,$setpriv_caps" --no-new-privs "$@"
' tunescope "${args[@]}" >"$work/daemon.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$port
ok=
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log"; fail "the daemon exited"; }
  if curl -fsS -o "$work/healthz" "$url/healthz" 2>/dev/null; then ok=1; break; fi
  sleep 0.3
done
[[ -n $ok ]] || { cat "$work/daemon.log"; fail "no 200 from /healthz in 30 s"; }
curl -fsS "$url/metrics" -o "$work/metrics" || fail "GET /metrics failed"
grep -q '^tunescope_build_info' "$work/metrics" || fail "/metrics has no tunescope_build_info"
up=$(grep -c '^tunescope_probe_up{.*} 1$' "$work/metrics" || true)
[[ $up -ge 1 ]] || { cat "$work/healthz"; fail "no probe up in /metrics"; }
# The daemon really runs as the unprivileged user, inside the root.
[[ $(stat -c %u "/proc/$pid") == 65534 ]] || fail "the daemon does not run as uid 65534"
[[ $(readlink "/proc/$pid/root") == "$root" ]] || fail "the daemon does not run in the root"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || { cat "$work/daemon.log"; fail "SIGTERM: exit $rc"; }
echo "PASS: $(basename "$deb") installed in a Debian 12 root; $up probes up as uid 65534 with $caps"
