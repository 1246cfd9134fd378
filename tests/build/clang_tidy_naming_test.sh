#!/usr/bin/env bash
# build.clang_tidy_naming: every daemon source (and the daemon headers it includes) follows the
# naming convention of .clang-tidy; any finding fails. Only that check runs, two at a time
# (a 2-core machine: about 2.5 minutes). Compiler warnings are off (-w): -Wpedantic would stop
# libbpf's LIBBPF_OPTS, and they are the build's business; bpftool's skeletons spell bool _Bool,
# which only g++ takes in C++. scripts/naming-fix.sh fixes what this
# finds.
#   clang_tidy_naming_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1
build=$2
out=$(run-clang-tidy -p "$build" -quiet -j 2 -checks='-*,readability-identifier-naming' \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-w -extra-arg=-D_Bool=bool "^$src/daemon/.*\.cpp$" 2>&1)
status=$?
findings=$(grep -E '(warning|error): .*\[readability-identifier-naming' <<<"$out" | sort -u)
if [[ $status -ne 0 || -n $findings ]]; then
  if [[ -n $findings ]]; then echo "$findings"; else echo "$out" | tail -40; fi
  echo "naming: $(grep -c . <<<"$findings") finding(s); scripts/naming-fix.sh renames them" >&2
  exit 1
fi
echo "naming: clean over $(grep -c '^clang-tidy' <<<"$out" || true) translation units"
