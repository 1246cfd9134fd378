#!/usr/bin/env bash
# build.clang_format: every tracked C, C++ and BPF source is as clang-format (.clang-format and
# the bpf/ overrides) would write it; `git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format -i`
# fixes what this finds.
#   clang_format_test.sh SOURCE_DIR
set -uo pipefail
cd "$1" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
else
  mapfile -t files < <(find . -path ./build -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) -print)
fi
if [[ ${#files[@]} -eq 0 ]]; then
  echo "clang-format: no sources found under $1" >&2
  exit 1
fi
out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1)
status=$?
if [[ $status -ne 0 ]]; then
  grep -E '^[^ ].*: error:' <<<"$out" | cut -d: -f1 | sort | uniq -c
  echo "clang-format: the files above differ from their formatted form" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} files clean"
