#!/usr/bin/env bash
# `tunescope advise --html` as a user meets it: a real advise run (root, 4 s) against refserver
# under wrk on loopback writes the page; headless Chromium (Debian's chromium) loads it from
# disk with no console message (no error, no blocked fetch, no CSP violation) and renders a
# screenshot, which must be 1200x2000 with enough drawn pixels in the charts' colours.
# A control page that logs to the console proves that the console check can fail.
# usage: html_report_browser_test.sh TUNESCOPE REFSERVER SOURCE_DIR [SCREENSHOT_COPY]
set -euo pipefail
tunescope=$1 refserver=$2 src=$3 keep_shot=${4:-}
source "$src/tests/process/lib.sh"
require_root
for tool in chromium wrk curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --with-tests)"
done
# Debian's python3-pil is for Debian's interpreter, which a python3 earlier in PATH may hide.
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
"$py" -c 'import PIL' 2>/dev/null || fail "python3-pil is not installed (scripts/install-deps.sh --with-tests)"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# chromium ARGS...: headless, as root (no sandbox), with a profile of its own so that no state
# of another run leaks in, its console and errors on stderr.
chromium_run() {
  timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-extensions --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@"
}
# console_lines LOG: what the page logged (console calls, CSP violations, failed loads).
console_lines() { grep -E 'CONSOLE|Refused to' "$1" || true; }

# The control: a page that logs must be caught, else the check below proves nothing.
cat >"$tmp/control.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>control</title></head>
<body><p>control</p><script>console.error("tunescope-console-control");</script></body></html>
EOF
chromium_run --dump-dom "file://$tmp/control.html" >"$tmp/control.dom" 2>"$tmp/control.log" ||
  { tail -20 "$tmp/control.log" >&2; fail "chromium could not load the control page"; }
grep -q 'tunescope-console-control' <(console_lines "$tmp/control.log") ||
  { tail -20 "$tmp/control.log" >&2; fail "chromium's log does not show console messages: the check would be blind"; }

# A real advise run under load.
rs_port=$(free_port)
"$refserver" --listen "127.0.0.1:$rs_port" >"$tmp/refserver.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$rs_port/plaintext" 20 || fail "refserver did not start"
wrk -t1 -c16 -d30s "http://127.0.0.1:$rs_port/plaintext" >"$tmp/wrk.log" 2>&1 &
pids+=($!)
sleep 1
page=$tmp/report.html
timeout 60 "$tunescope" advise --duration 4s --target-comm refserver --target-port "$rs_port" \
  --html "$page" >"$tmp/advise.txt" 2>"$tmp/advise.err" ||
  { cat "$tmp/advise.err" >&2; fail "tunescope advise --html failed"; }
[[ -s $page ]] || fail "advise wrote no page"
grep -q "wrote $page" "$tmp/advise.err" || fail "advise did not say where the page is"
# The page holds what the text report holds: the first-ranked tuning's id.
first=$(awk '/^ *1\. /{print $2; exit}' "$tmp/advise.txt")
[[ -n $first ]] || fail "no first entry in the text report"
grep -q "id=\"tuning-$first\"" "$page" || fail "the page lacks the text report's first tuning $first"
# Measured under load with a target: the CPU split, both run-queue charts, request latency.
for want in 'id="cpu"' 'Run-queue wait, all CPUs' "Run-queue wait, the server&#39;s threads" \
  '<h3>Request latency</h3>' 'waiting (run-queue)'; do
  grep -qF "$want" "$page" || fail "the page lacks $want"
done

# Chromium loads it: the DOM it built holds the sections and charts, and nothing was logged.
chromium_run --dump-dom "file://$page" >"$tmp/report.dom" 2>"$tmp/report.log" ||
  { tail -20 "$tmp/report.log" >&2; fail "chromium could not load the page"; }
for want in 'id="payoffs"' 'id="cpu"' 'id="distributions"' 'id="tunings"' '<svg'; do
  grep -qF "$want" "$tmp/report.dom" || fail "chromium's DOM lacks $want"
done
logged=$(console_lines "$tmp/report.log")
[[ -z $logged ]] || fail "the page logged to the console: $logged"

# The screenshot: its size, and enough drawn pixels in the charts' colours.
chromium_run --screenshot="$tmp/shot.png" --window-size=1200,2000 --hide-scrollbars \
  "file://$page" >/dev/null 2>"$tmp/shot.log" ||
  { tail -20 "$tmp/shot.log" >&2; fail "chromium took no screenshot"; }
logged=$(console_lines "$tmp/shot.log")
[[ -z $logged ]] || fail "the page logged to the console while rendering: $logged"
"$py" - "$tmp/shot.png" <<'EOF' || fail "the screenshot is not what the page should look like"
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("RGB")
w, h = img.size
if (w, h) != (1200, 2000):
    sys.exit("screenshot is %dx%d, want 1200x2000" % (w, h))
pixels = list(img.getdata())
drawn = sum(1 for p in pixels if p != (255, 255, 255))
share = drawn / len(pixels)
# Colours of the page's charts (html_page.cpp): server blue, softirq amber, measured green.
def near(p, c, d=24):
    return all(abs(a - b) <= d for a, b in zip(p, c))
charts = {name: sum(1 for p in pixels if near(p, c)) for name, c in
          (("server blue", (0x3b, 0x7d, 0xd8)), ("idle grey", (0xe6, 0xe8, 0xeb)))}
print("screenshot %dx%d: %.1f%% of pixels drawn, chart pixels %s" % (w, h, share * 100, charts))
if share < 0.03:
    sys.exit("only %.2f%% of the pixels are drawn: a blank page" % (share * 100))
if share > 0.9:
    sys.exit("%.0f%% of the pixels are drawn: no page background" % (share * 100))
for name, n in charts.items():
    if n < 500:
        sys.exit("only %d pixels of the %s of the charts" % (n, name))
EOF
if [[ -n $keep_shot ]]; then cp "$tmp/shot.png" "$keep_shot"; cp "$page" "${keep_shot%.png}.html"; fi
echo "PASS"
