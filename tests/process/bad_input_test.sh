#!/usr/bin/env bash
# Bad input: one line on stderr naming the problem, exit 2 for usage errors and 1 for
# runtime errors, and nothing loaded into the kernel.
source "$(dirname "$0")/lib.sh"
tunescope=$1

# expect CODE PATTERN ARGS...: runs tunescope ARGS, checks exit code and the one-line message.
expect() {
  local code=$1 pattern=$2
  shift 2
  local err rc=0
  err=$(timeout 20 "$tunescope" "$@" 2>&1 >/dev/null) || rc=$?
  ((rc == code)) || fail "tunescope $* exited $rc, want $code (stderr: $err)"
  [[ $(wc -l <<<"$err") -eq 1 ]] || fail "tunescope $* printed more than one line: $err"
  grep -q -- "$pattern" <<<"$err" || fail "tunescope $*: message lacks '$pattern': $err"
}

expect 2 'unknown flag --bogus' serve --bogus
expect 2 'unknown flag --bogus' --bogus
expect 2 'unknown command "frobnicate"' frobnicate
expect 2 'needs a port' serve --web.listen-address=10027
expect 2 'bad port' serve --web.listen-address=:99999
expect 2 'unknown probe "nope"' serve --probes=softirq,nope
expect 2 'unknown mode "warp"' serve --softirq-mode=warp
expect 2 '--target-pid' serve --target-pid=-3
expect 2 '--log.level' serve --log.level=chatty
expect 2 'is not OPEN/EVERY' serve --window=2s
expect 2 'with --drop-capabilities use --window=always' serve --drop-capabilities --window=2s/60s
# The metrics path may not hide another endpoint.
for path in / /healthz /advice; do
  expect 2 'must start with / and not be /, /healthz or /advice' serve --web.telemetry-path="$path"
done
# More ports than the probes' port maps hold: a usage error, not probes down at run time.
many_ports=()
for p in $(seq 1000 1064); do many_ports+=(--target-port="$p"); done
expect 2 'flag --target-port: at most 64 distinct ports' serve "${many_ports[@]}"
# A target that is not running is a usage error in every command that takes one.
expect 2 'flag --target-pid: no process 4194304 is running' serve --target-pid=4194304
expect 2 'flag --target-pid: no process 4194304 is running' advise --target-pid=4194304
# --html: a report that cannot be written stops the command at once (a 30 s advise that attached
# first would outlive expect's 20 s), and so does a missing file name.
expect 2 'flag --html needs a value' advise --html
expect 2 'flag --html: needs a file name, got "--json"' advise --html --json
expect 2 '--html /nonexistent/dir/report.html: cannot write: No such file or directory' \
  advise --duration=30s --html /nonexistent/dir/report.html
expect 2 '--html /: cannot write: Is a directory' advise --duration=30s --html /
expect 2 'flag --html needs a value' experiment --tuning=tcp_cc_reno --load=true --yes --html
expect 2 '--html /nonexistent/dir/report.html: cannot write' \
  experiment --tuning=tcp_cc_reno --load='sleep 60' --duration=30s --yes --html /nonexistent/dir/report.html
# Kernel BTF that is missing or not BTF is a runtime error (1), in one line, before anything is
# loaded.
expect 1 'kernel BTF /nonexistent/btf: No such file' serve --kernel.btf=/nonexistent/btf
expect 1 'kernel BTF /etc/passwd: not BTF data' serve --kernel.btf=/etc/passwd
expect 1 'kernel BTF /etc: not BTF data' serve --kernel.btf=/etc

# Whole outputs first: grep -q stops reading at its match, and under pipefail the writer's
# SIGPIPE would fail the line.
help=$("$tunescope" --help) || fail "--help exited $?"
grep -q 'serve' <<<"$help" || fail "--help does not list serve"
help=$("$tunescope" serve --help) || fail "serve --help exited $?"
grep -q -- '--web.listen-address' <<<"$help" || fail "serve --help lacks flags"
"$tunescope" --version | grep -Eq '^tunescope [0-9]+\.[0-9]+\.[0-9]+ \(libbpf v?[0-9]' ||
  fail "--version format"

if [[ $(id -u) -eq 0 ]]; then
  # A busy port fails before any program is loaded.
  portfile=$(mktemp)
  python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)" >"$portfile" &
  holder=$!
  trap 'kill $holder 2>/dev/null || true; rm -f "$portfile"' EXIT
  until [[ -s $portfile ]]; do sleep 0.1; done
  port=$(cat "$portfile")
  before=$(bpftool prog show -j | jq -r '.[] | select(.name | startswith("ts_")) | .id' | sort)
  expect 1 "cannot listen on 127.0.0.1:$port" serve --web.listen-address="127.0.0.1:$port"
  after=$(bpftool prog show -j | jq -r '.[] | select(.name | startswith("ts_")) | .id' | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after"))
  [[ -z $new ]] || fail "programs left after a busy-port failure: $new"

  # A comm that matches no thread is legal (the server may start later) but said clearly.
  err=$(timeout 60 "$tunescope" advise --duration=1s --target-comm=no-such-comm 2>&1 >/dev/null) ||
    fail "advise with an unmatched --target-comm failed: $err"
  grep -q 'target-comm=no-such-comm matches no running thread' <<<"$err" ||
    fail "advise did not warn about an unmatched --target-comm: $err"

  # So is a port nothing serves: said at once, not found out from an empty report.
  unserved=$(free_port)
  err=$(timeout 60 "$tunescope" advise --duration=1s --target-port="$unserved" 2>&1 >/dev/null) ||
    fail "advise with an unserved --target-port failed: $err"
  grep -q "target-port=$unserved: no TCP listener or UDP socket on it now" <<<"$err" ||
    fail "advise did not warn about an unserved --target-port: $err"
  err=$(timeout 60 "$tunescope" advise --duration=1s --target-port="$port" 2>&1 >/dev/null) ||
    fail "advise with a served --target-port failed: $err"
  ! grep -q "target-port=$port: no TCP listener" <<<"$err" ||
    fail "advise warned about port $port, which the holder listens on: $err"
fi
echo "PASS: bad input"
