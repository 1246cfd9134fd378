#!/usr/bin/env bash
# Basic auth from --web.config.file against the real daemon: every endpoint answers 401 (with a
# Basic challenge) without credentials, with a wrong password, for an unknown user and for a
# bearer token, and 200 with the right ones; a bad file (also: missing, a directory, no users,
# a bcrypt cost outside 4..14, a salt libxcrypt refuses) exits 2 with one line.
# usage: auth_test.sh TUNESCOPE SOURCE_DIR
set -euo pipefail
tunescope=$1 src=$2
source "$src/tests/process/lib.sh"
require_root
command -v htpasswd >/dev/null || fail "htpasswd is not installed (package apache2-utils)"
scratch_dir_and_daemon

hash=$(htpasswd -nbBC 10 prometheus 'scrape me' | cut -d: -f2-)
# A flow map with a quoted key, as exporter-toolkit accepts it (the old hand-written parser did not).
printf '# exporter-toolkit web config\nbasic_auth_users: {prometheus: %s,\n  "other": '"'"'%s'"'"'}\n' \
  "$hash" "$hash" >"$tmp/web.yml"

port=$(free_port)
"$tunescope" serve --web.listen-address="127.0.0.1:$port" --web.config.file="$tmp/web.yml" \
  --probes=softirq --window=always >"$tmp/log" 2>&1 &
pid=$!
deadline=$((SECONDS + 20))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz") == 401 ]]; do
  if ((SECONDS >= deadline)); then
    cat "$tmp/log" >&2
    fail "daemon did not come up"
  fi
  sleep 0.2
done

code() { curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@"; }
for path in / /metrics /healthz /advice /nonexistent; do
  url=http://127.0.0.1:$port$path
  [[ $(code "$url") == 401 ]] || fail "$path without credentials: not 401"
  grep -qi '^WWW-Authenticate: Basic realm="tunescope"' "$tmp/headers" || fail "$path: no Basic challenge"
  [[ $(code -u 'prometheus:scrape' "$url") == 401 ]] || fail "$path with a wrong password: not 401"
  [[ $(code -u 'nobody:scrape me' "$url") == 401 ]] || fail "$path for an unknown user: not 401"
  [[ $(code -H 'Authorization: Bearer x' "$url") == 401 ]] || fail "$path with a bearer token: not 401"
  want=200
  [[ $path == /nonexistent ]] && want=404
  [[ $path == /advice ]] && want=503  # before the advisor's first 30 s window
  [[ $(code -u 'prometheus:scrape me' "$url") == "$want" ]] || fail "$path with credentials: not $want"
  [[ $(code -u 'other:scrape me' "$url") == "$want" ]] || fail "$path as the second user: not $want"
done
code -u 'prometheus:scrape me' "http://127.0.0.1:$port/metrics" >/dev/null
grep -q '^tunescope_softirq_seconds_total' "$tmp/body" || fail "authorised /metrics has no probe data"
kill "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "daemon exit $rc on SIGTERM"

# Bad files: exit 2 and one line naming the file and the line.
bad() {  # bad CONTENT FRAGMENT
  printf '%b' "$1" >"$tmp/bad.yml"
  local rc=0 err
  err=$("$tunescope" serve --web.listen-address="127.0.0.1:$port" --web.config.file="$tmp/bad.yml" 2>&1) || rc=$?
  [[ $rc -eq 2 ]] || fail "bad config ($2): exit $rc, want 2"
  [[ $(wc -l <<<"$err") -eq 1 ]] || fail "bad config ($2): more than one line: $err"
  grep -qF -- "$2" <<<"$err" || fail "bad config: want \"$2\" in: $err"
}
bad 'basic_auth_users:\n  prometheus: plaintext\n' 'bad.yml: line 2: the password of user "prometheus" is not a bcrypt hash'
bad 'tls_server_config:\n  cert_file: a.pem\n' 'line 1: tls_server_config is not supported'
bad 'basic_auth_users:\n\tp: x\n' 'line 2: illegal map value (a tab in the indentation'
bad 'basic_auth_users: {p: x\n' 'bad.yml: line 2: end of map flow not found'
bad 'users:\n' '"users" is not supported'
bad 'http_server_config: {headers: {X-Frame-Options: deny}}\n' '"headers" is not supported'
# Fail closed: a file without users, or with a hash that cannot be verified in bounded time,
# stops start-up instead of serving open endpoints or pinning the CPUs.
bad '' 'bad.yml: no basic_auth_users'
bad '# to do\nbasic_auth_users: {}\n' 'bad.yml: no basic_auth_users'
tail=${hash:7}
bad "basic_auth_users:\n  p: \$2y\$02\$$tail\n" 'has bcrypt cost 2, outside 4..14'
bad "basic_auth_users:\n  p: \$2y\$31\$$tail\n" 'has bcrypt cost 31, outside 4..14'
bad "basic_auth_users:\n  p: \$2y\$10\$${tail:0:21}z${tail:22}\n" 'not accepted by libxcrypt'
# Not a regular file: one line, exit 2, nothing served.
bad_path() {  # bad_path PATH FRAGMENT
  local rc=0 err
  err=$("$tunescope" serve --web.listen-address="127.0.0.1:$port" --web.config.file="$1" 2>&1) || rc=$?
  [[ $rc -eq 2 ]] || fail "web config $1: exit $rc, want 2"
  [[ $(wc -l <<<"$err") -eq 1 ]] || fail "web config $1: more than one line: $err"
  grep -qF -- "$2" <<<"$err" || fail "web config $1: want \"$2\" in: $err"
}
bad_path "$tmp/missing.yml" 'missing.yml: No such file'
mkdir "$tmp/web.d"
bad_path "$tmp/web.d" 'web.d: Is a directory'
echo PASS
