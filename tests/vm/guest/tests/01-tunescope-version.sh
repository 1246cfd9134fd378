#!/bin/sh
# Harness self-check: the tunescope binary and every shared library it needs made it into the
# initramfs (a missing library fails here, before any probe test).
. /tsvm/lib.sh
command -v tunescope >/dev/null || tsvm_fail "tunescope is not in the initramfs"
out=$(tunescope --version 2>&1) || tsvm_fail "tunescope --version exited with $?: $out"
[ -n "$out" ] || tsvm_fail "tunescope --version printed nothing"
tsvm_pass "$out"
