#!/usr/bin/env bash
# Per-program cost of the network-path probes (netfilter bracket, qdisc, xcpu + XDP) under a
# UDP load, from the kernel's BPF stats (run_time_ns / run_cnt, exported by the daemon with
# --bpf-stats as tunescope_bpf_program_*), plus the netfilter bracket's own cost per packet.
#
#   bench/netprobes/run.sh [--tunescope PATH] [--seconds S] [--rules N]
#
# Builds two network namespaces joined by a veth pair (removed on exit), a pfifo root qdisc on
# the client end, N non-matching iptables rules (default 0) on the server's INPUT chain, runs
# `tunescope serve --probes=netfilter,qdisc,xcpu --netfilter-mode=bracket --window=always` in the server
# namespace with XDP on the server end, and sends UDP from two client processes (one per CPU)
# to a reading server for S seconds (default 10). Root needed. Traffic stays inside the pair.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tunescope="$repo/build/daemon/tunescope"
seconds=10
rules=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --tunescope) tunescope=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rules) rules=$2; shift 2 ;;
    *) echo "usage: $0 [--tunescope PATH] [--seconds S] [--rules N]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) == 0 ]] || { echo "$0: needs root" >&2; exit 1; }
[[ -x $tunescope ]] || { echo "$0: no tunescope binary at $tunescope (--tunescope PATH)" >&2; exit 1; }

id=$$
a=tsbenchA$id b=tsbenchB$id va=tba$id vb=tbb$id port=5201 web=127.0.0.1:10093
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
for ns in "$a" "$b"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$va" netns "$a" type veth peer name "$vb" netns "$b"
ip -n "$a" addr add 10.198.0.1/24 dev "$va"
ip -n "$b" addr add 10.198.0.2/24 dev "$vb"
ip -n "$a" link set "$va" up
ip -n "$b" link set "$vb" up
tc -n "$a" qdisc replace dev "$va" root pfifo limit 10000
if [[ $rules -gt 0 ]]; then
  {
    echo '*filter'
    echo ':INPUT ACCEPT [0:0]'
    for ((i = 0; i < rules; i++)); do
      echo "-A INPUT -s 10.250.$((i / 250)).$((i % 250 + 1))/32 -p udp -j DROP"
    done
    echo COMMIT
  } | ip netns exec "$b" iptables-restore
fi

ip netns exec "$b" "$tunescope" serve --probes=netfilter,qdisc,xcpu --netfilter-mode=bracket \
  --window=always --target-port=$port --xdp-iface="$vb" --bpf-stats --web.listen-address=$web \
  --log.level=warn &
pids+=($!)
scrape() { ip netns exec "$b" curl -sf "http://$web/metrics"; }
for _ in $(seq 50); do scrape >/dev/null 2>&1 && break; sleep 0.2; done
scrape >/dev/null || { echo "$0: daemon did not come up" >&2; exit 1; }

ip netns exec "$b" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('10.198.0.2', $port)); s.settimeout(1.0)
end = time.time() + $seconds + 3
while time.time() < end:
    try: s.recv(2048)
    except socket.timeout: pass
" &
pids+=($!)
before=$(mktemp) after=$(mktemp)
trap 'rm -f "$before" "$after"; cleanup' EXIT
sleep 0.5
scrape >"$before"
for cpu in 0 1; do
  ip netns exec "$a" taskset -c $cpu python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + $seconds; msg = b'x' * 64
while time.time() < end:
    for _ in range(256): s.sendto(msg, ('10.198.0.2', $port))
" &
  pids+=($!)
done
sleep "$seconds"
sleep 1
scrape >"$after"

python3 - "$before" "$after" "$rules" <<'PY'
import re, sys
def parse(path):
    out = {}
    for line in open(path):
        m = re.match(r'^(\w+)(\{[^}]*\})? (\S+)$', line.strip())
        if m: out[(m.group(1), m.group(2) or '')] = float(m.group(3))
    return out
b, a, rules = parse(sys.argv[1]), parse(sys.argv[2]), int(sys.argv[3])
d = lambda k: a.get(k, 0.0) - b.get(k, 0.0)
rows = []
for (name, labels), _ in sorted(a.items()):
    if name != 'tunescope_bpf_program_runs_total': continue
    runs = d((name, labels))
    secs = d(('tunescope_bpf_program_run_seconds_total', labels))
    probe = re.search(r'probe="([^"]*)"', labels).group(1)
    prog = re.search(r'program="([^"]*)"', labels).group(1)
    rows.append((probe, prog, runs, secs * 1e9 / runs if runs else float('nan')))
print(f"{'probe':<10} {'program':<30} {'runs':>10} {'mean ns/run':>12}")
for probe, prog, runs, ns in rows:
    print(f"{probe:<10} {prog:<30} {runs:>10.0f} {ns:>12.1f}")
mean = {prog: ns for _, prog, _, ns in rows}
first, last = mean.get('ts_nf_first_bracket'), mean.get('ts_nf_last_bracket')
self_gauge = a.get(('tunescope_netfilter_bracket_self_cost_seconds', ''), 0) * 1e9
# ipv4/input summed over its cpu series
inp = lambda name: sum(d(k) for k in a if k[0] == name and
                       'family="ipv4"' in k[1] and 'hook="input"' in k[1])
pk = inp('tunescope_netfilter_packets_total')
cost = inp('tunescope_netfilter_seconds_total') * 1e9 / pk if pk else float('nan')
print()
print(f"netfilter bracket ({rules} iptables rules on INPUT):")
if first is not None and last is not None:
    print(f"  bracket programs per hook traversal (first + last run time): {first + last:.1f} ns")
print(f"  calibrated window bias subtracted per hook traversal:          {self_gauge:.1f} ns")
print(f"  measured ipv4/input cost per packet after subtraction:         {cost:.1f} ns ({pk:.0f} packets)")
for key in ('tunescope_qdisc_lock_contentions_total', 'tunescope_qdisc_packets_total'):
    tot = sum(d(k) for k in a if k[0] == key)
    print(f"  {key}: {tot:.0f}")
PY
