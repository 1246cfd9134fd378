#!/usr/bin/env bash
# Renames every identifier of the daemon and its tests to the naming convention of .clang-tidy
# (readability-identifier-naming), mechanically: run it after merging code written with other
# names, then rebuild. run-clang-tidy collects every translation unit's fixes and applies each
# once (clang-apply-replacements), so a header's rename is not applied twice.
#   scripts/naming-fix.sh [BUILD_DIR]   (default build/; configured, compile_commands.json)
# Needs Debian's clang-tidy (scripts/install-deps.sh). Rebuild afterwards: a rename the tool
# cannot see (a name inside a macro argument, a string) shows up as a compile error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
if [[ ! -f $build/compile_commands.json ]]; then
  echo "naming-fix: no $build/compile_commands.json (configure first: scripts/build.sh)" >&2
  exit 2
fi
# First the host/ functions renamed already (scripts/naming-renames.txt), as text: code merged
# with their old names calls functions that no longer exist, which clang-tidy cannot follow.
# host::old anywhere; old( and old< (calls, templates) inside host/ and tests/host/, not after
# . or -> (standard members such as starts_with).
qualified="" unqualified=""
while read -r old new; do
  [[ -z $old || $old == \#* ]] && continue
  qualified+="s/\\bhost::$old\\b/host::$new/g;"
  unqualified+="s/(^|[^.>])\\b$old([(<])/\\1$new\\2/g;"
done <"$root/scripts/naming-renames.txt"
git -C "$root" ls-files -- 'daemon/*.h' 'daemon/*.cpp' 'tests/*.h' 'tests/*.cpp' |
  (cd "$root" && xargs sed -i -E "$qualified")
git -C "$root" ls-files -- 'daemon/host/*' 'tests/host/*' | grep -E '\.(h|cpp)$' |
  (cd "$root" && xargs sed -i -E "$unqualified")
# The generated skeletons must exist for the probes' translation units to parse.
ninja -C "$build" tunescope_bpf_skeletons >/dev/null
# Daemon and test sources (not refserver's: its own conventions, in its own folder).
run-clang-tidy -p "$build" -fix -quiet -j "$(nproc)" \
  -checks='-*,readability-identifier-naming' \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-w -extra-arg=-D_Bool=bool \
  "^$root/(daemon|tests/(?!refserver)).*\.cpp$" >/dev/null || true
# The renames leave lines of another length: format what changed.
git -C "$root" diff --name-only -- daemon tests | grep -E '\.(cpp|h)$' |
  (cd "$root" && xargs -r clang-format -i)
git -C "$root" diff --stat -- daemon tests | tail -1
