#!/usr/bin/env bash
# Multi-kernel harness: boots stock Debian kernels under qemu (pure emulation) with an initramfs
# holding tunescope, its shared libraries, busybox and the guest tests in tests/vm/guest, and
# collects one result per guest test per kernel.
#
#   vmtest.sh run --kernel 6.1 [--kernel 6.12] --out DIR [--tunescope PATH] [--only REGEX]
#                 [--refserver PATH (for the reqlat usdt test)]
#                 [--extra DIR] [--timeout SECONDS] [--verbose (print every test's log)]
#   vmtest.sh fetch --kernel 6.1          # download + unpack into the cache, print the dir
#   vmtest.sh report --out DIR [--update-readme F | --check-readme F]   # report.py
#
# Kernels are fetched with `apt-get download` from the configured Debian sources and unpacked
# with `dpkg -x` into the cache ($TUNESCOPE_VM_CACHE, default /var/cache/tunescope-vm when
# writable, else ~/.cache/tunescope-vm). Nothing is installed on the host.
#
# Exit codes of `run`: 0 all guest tests passed on every kernel; 1 a test failed, the guest
# did not print its final marker (hang, panic, timeout) or ran no test; 77 a host
# prerequisite is missing (qemu, busybox-static) and CI is not "true"; 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
arch_triplet=x86_64-linux-gnu

log() { printf 'vmtest: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Kernel list. A series maps to the Debian meta-package that always depends on the newest
# image of that series; TUNESCOPE_VM_KERNEL_PKG_<series with . as _> pins an exact package
# (e.g. TUNESCOPE_VM_KERNEL_PKG_6_1=linux-image-6.1.0-56-cloud-amd64).
meta_package() {
  case $1 in
    6.1) echo linux-image-cloud-amd64 ;;          # bookworm / bookworm-security: 6.1.0-N
    6.12) echo linux-image-6.12-cloud-amd64 ;;    # bookworm-security (and -backports)
    *) return 1 ;;
  esac
}

cache_dir() {
  if [[ -n ${TUNESCOPE_VM_CACHE:-} ]]; then
    echo "$TUNESCOPE_VM_CACHE"
  elif mkdir -p /var/cache/tunescope-vm 2>/dev/null && [[ -w /var/cache/tunescope-vm ]]; then
    echo /var/cache/tunescope-vm
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/tunescope-vm"
  fi
}

# Prints the exact linux-image package for a series, e.g. linux-image-6.1.0-56-cloud-amd64.
resolve_kernel_package() {
  local series=$1 var meta
  var=TUNESCOPE_VM_KERNEL_PKG_${series//./_}
  if [[ -n ${!var:-} ]]; then
    echo "${!var}"
    return
  fi
  meta=$(meta_package "$series") || die "unknown kernel series '$series' (known: 6.1, 6.12)"
  # Among all versions of the meta-package apt knows, take the highest of this series and the
  # image it depends on. (linux-image-cloud-amd64 has 6.1 versions and a 6.12 backport.)
  apt-cache show "$meta" 2>/dev/null | awk -v series="$series" '
    /^Version: / { ver = $2 }
    /^Depends: / {
      if (index(ver, series ".") == 1) {
        n = split($0, parts, /[ ,]+/)
        for (i = 2; i <= n; i++) if (parts[i] ~ /^linux-image-/) print ver, parts[i]
      }
    }' | sort -V | tail -n1 | cut -d' ' -f2
}

# Downloads (if needed) and unpacks a kernel; prints the unpacked directory.
fetch_kernel() {
  local series=$1 cache pkg dir deb tmp
  cache=$(cache_dir)
  mkdir -p "$cache/debs" "$cache/kernels"
  pkg=$(resolve_kernel_package "$series")
  exec 9>"$cache/.lock"
  flock 9
  if [[ -z $pkg ]]; then
    # apt does not know the series (no index): use the newest cached image of it, if any.
    dir=$(find "$cache/kernels" -maxdepth 1 -name "linux-image-${series}[.-]*" | sort -V | tail -n1)
    [[ -n $dir ]] || die "apt-cache knows no kernel of series $series and none is cached in $cache"
    log "warning: apt-cache cannot resolve series $series; using cached $(basename "$dir")"
    flock -u 9
    echo "$dir"
    return
  fi
  dir=$cache/kernels/$pkg
  if [[ ! -e $dir/.complete ]]; then
    deb=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n1)
    if [[ -z $deb ]]; then
      log "downloading $pkg"
      tmp=$(mktemp -d "$cache/debs/.dl.XXXXXX")
      # apt drops privileges to _apt for downloads; let it write the temp dir.
      chmod 0755 "$tmp"
      if id _apt >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then chown _apt "$tmp"; fi
      (cd "$tmp" && apt-get download -q "$pkg" >&2) || {
        rm -rf "$tmp"
        die "apt-get download $pkg failed (network? apt sources?)"
      }
      mv "$tmp"/*.deb "$cache/debs/"
      rm -rf "$tmp"
      deb=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n1)
    fi
    log "unpacking $(basename "$deb")"
    rm -rf "$dir.tmp"
    dpkg -x "$deb" "$dir.tmp"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    touch "$dir/.complete"
  fi
  flock -u 9
  echo "$dir"
}

# ---------------------------------------------------------------------------------------------
# initramfs

# Copies an executable and every shared library ldd reports (plus the dynamic loader) into
# the staging root, at the same paths as on the host.
copy_with_libs() {
  local root=$1 bin=$2 dest=${3:-$2} lib
  install -D -m 0755 "$bin" "$root$dest"
  if ! ldd "$bin" >/dev/null 2>&1; then
    return 0 # static
  fi
  while read -r lib; do
    [[ -n $lib && -e $lib ]] || continue
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$bin" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }')
}

# Module names -> module files in load order (dependencies first), via modinfo on the host.
module_load_order() {
  local moddir=$1
  shift
  local -A seen=()
  local order=()
  visit() {
    local name=$1 file dep
    [[ -n ${seen[$name]:-} ]] && return 0
    seen[$name]=1
    if grep -qE "/${name//_/[_-]}\.ko(\.[a-z]+)?$" "$moddir/modules.builtin" 2>/dev/null; then
      return 0 # built in
    fi
    file=$(find "$moddir/kernel" -regextype posix-extended \
      -regex ".*/${name//_/[_-]}\.ko(\.(xz|zst|gz))?" -print -quit)
    [[ -n $file ]] || die "module $name not found in $moddir"
    for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
      visit "$dep"
    done
    order+=("$file")
  }
  local m
  for m in "$@"; do visit "$m"; done
  printf '%s\n' "${order[@]}"
}

build_common_root() {
  local root=$1 tunescope=$2 refserver=$3 d a
  rm -rf "$root"
  mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/$arch_triplet,usr/lib64,etc,proc,sys,dev,tmp,run,root,var/log}
  mkdir -p "$root/sys/fs/bpf"
  # Debian 12 is merged-/usr: keep the same layout so ldd's paths resolve in the guest.
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
  install -m 0755 "$(command -v busybox)" "$root/usr/bin/busybox"
  for a in $(busybox --list); do
    [[ -e $root/usr/bin/$a || $a == busybox ]] || ln -s busybox "$root/usr/bin/$a"
  done
  if [[ -n $tunescope ]]; then
    copy_with_libs "$root" "$tunescope" /usr/bin/tunescope
  fi
  if [[ -n $refserver ]]; then
    copy_with_libs "$root" "$refserver" /usr/bin/refserver
  fi
  # bpftool lists what is loaded/attached after the daemon is gone; nft registers netfilter
  # hooks so nf_hook_slow runs for the netfilter probe's fentry/kprobe modes;
  copy_with_libs "$root" "$(command -v bpftool)" /usr/sbin/bpftool
  # tc (iproute2) puts a locking qdisc on lo for the qdisc probe (busybox tc cannot add one).
  local tool
  for tool in nft tc; do
    command -v $tool >/dev/null || die "$tool not found (packages nftables, iproute2)"
    copy_with_libs "$root" "$(command -v $tool)" /usr/sbin/$tool
  done
  # Guest-side helpers written for the tests (static, so they need no library).
  local src
  for src in "$here"/guest/tools/*.c; do
    cc -static -O2 -Wall -o "$root/usr/bin/$(basename "$src" .c)" "$src" ||
      die "cannot build $src (needs cc and the static libc: build-essential)"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  printf 'hosts: files\n' >"$root/etc/nsswitch.conf"
  install -m 0755 "$here/guest/init" "$root/init"
  mkdir -p "$root/tsvm/tests"
  install -m 0644 "$here/guest/lib.sh" "$root/tsvm/lib.sh"
  mkdir -p "$root/tsvm/probes"
  install -m 0644 "$here"/guest/probes/*.sh "$root/tsvm/probes/"
  for t in "$here"/guest/tests/*.sh; do
    install -m 0755 "$t" "$root/tsvm/tests/"
  done
  # --extra DIR (for debugging a kernel by hand): DIR is copied to /tsvm/extra and its *.sh
  # run as further tests.
  if [[ -n ${extra:-} ]]; then
    cp -r "$extra" "$root/tsvm/extra"
    for t in "$extra"/*.sh; do
      [[ -e $t ]] && install -m 0755 "$t" "$root/tsvm/tests/"
    done
  fi
}

build_kernel_root() {
  local root=$1 kdir=$2 modules=$3 release moddir f out
  release=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
  moddir=$kdir/lib/modules/$release
  rm -rf "$root"
  mkdir -p "$root/tsvm/modules"
  cp "$kdir/boot/config-$release" "$root/tsvm/kconfig"
  : >"$root/tsvm/modules/order"
  if [[ -n $modules ]]; then
    # shellcheck disable=SC2086 # word splitting of the module list is intended
    while read -r f; do
      out=$root/tsvm/modules/$(basename "${f%.xz}")
      out=${out%.zst}
      case $f in
        *.xz) xz -dc "$f" >"$out" ;;
        *.zst) zstd -qdc "$f" >"$out" ;;
        *) cp "$f" "$out" ;;
      esac
      basename "$out" >>"$root/tsvm/modules/order"
    done < <(module_load_order "$moddir" $modules)
  fi
}

make_cpio() {
  local root=$1 out=$2
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) |
    gzip -1 >"$out"
}

# ---------------------------------------------------------------------------------------------
# run one kernel

run_kernel() {
  local series=$1 out=$2 common_cpio=$3 kdir release vmlinuz work start end rc=0
  work=$out/$series
  rm -rf "$work"
  mkdir -p "$work"
  if ! kdir=$(fetch_kernel "$series"); then
    write_failure "$work" "$series" "?" "kernel fetch failed"
    return 1
  fi
  release=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
  vmlinuz=$kdir/boot/vmlinuz-$release
  log "[$series] kernel $release"
  build_kernel_root "$work/root-kernel" "$kdir" "${TUNESCOPE_VM_MODULES-nf_tables}"
  make_cpio "$work/root-kernel" "$work/kernel.cpio.gz"
  # Concatenated gzip'd newc archives are unpacked one after the other by the kernel.
  cat "$common_cpio" "$work/kernel.cpio.gz" >"$work/initrd.gz"
  rm -rf "$work/root-kernel"

  # tsc=reliable: under TCG the clocksource watchdog marks the TSC unstable and the guest falls
  # back to jiffies, which would make every BPF-measured duration a multiple of 4 ms.
  local append="console=ttyS0 quiet panic=-1 tsc_early_khz=2400000 tsc=reliable"
  [[ -n ${only:-} ]] && append+=" tsvm.only=$only"
  [[ -n ${verbose:-} ]] && append+=" tsvm.verbose=1"
  start=$(date +%s)
  set +e
  # thread=single: one host thread runs both vCPUs in turn. With a thread per vCPU, a vCPU can
  # still execute a translated block holding the int3 that text_poke_bp put in while enabling
  # a static key (a tracepoint being attached) after the patch finished, and the guest dies
  # with "Oops: int3" (seen once in six 6.12 boots); real CPUs serialize there, TCG threads
  # do not.
  timeout --kill-after=10 "$vm_timeout" qemu-system-x86_64 -machine microvm \
    -accel tcg,thread=single -cpu max \
    -smp 2 -m 1024 -nodefaults -no-reboot -display none -serial stdio \
    -kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "$append" \
    </dev/null >"$work/console.log" 2>"$work/qemu.stderr"
  rc=$?
  set -e
  end=$(date +%s)
  tr -d '\r' <"$work/console.log" >"$work/console.txt"
  log "[$series] qemu exited with $rc after $((end - start)) s (console: $work/console.txt)"
  parse_console "$work" "$series" "$release" "$rc" "$((end - start))"
}

write_failure() {
  local work=$1 series=$2 release=$3 why=$4
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$series" "$release" harness FAIL - - "$why" \
    >"$work/results.tsv"
}

# results.tsv columns: series, release, test, status, probe, mode, detail
parse_console() {
  local work=$1 series=$2 release=$3 qrc=$4 secs=$5 done_line nfail npass
  awk -v s="$series" -v r="$release" -v OFS='\t' '
    /^TSVM RESULT / {
      detail = ""
      for (i = 7; i <= NF; i++) detail = detail (i > 7 ? " " : "") $i
      print s, r, $3, $4, $5, $6, detail
    }' "$work/console.txt" >"$work/results.tsv"
  done_line=$(grep -m1 '^TSVM DONE ' "$work/console.txt" || true)
  echo "$secs" >"$work/seconds"
  if [[ -z $done_line ]]; then
    local why="no TSVM DONE marker (qemu exit $qrc"
    [[ $qrc -eq 124 || $qrc -eq 137 ]] && why+=", timeout after ${vm_timeout}s"
    why+=")"
    grep -m1 -E 'Kernel panic|BUG:|Oops' "$work/console.txt" >/dev/null &&
      why+=": $(grep -m1 -E 'Kernel panic|BUG:|Oops' "$work/console.txt" | cut -c1-120)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$series" "$release" harness FAIL - - "$why" \
      >>"$work/results.tsv"
    log "[$series] FAIL: $why"
    tail -n 40 "$work/console.txt" >&2
    return 1
  fi
  npass=$(awk -F'\t' '$4 == "PASS" || $4 == "NA"' "$work/results.tsv" | wc -l)
  nfail=$(awk -F'\t' '$4 == "FAIL"' "$work/results.tsv" | wc -l)
  awk -F'\t' '{ printf "vmtest: [%s] %-4s %-28s %s %s %s\n", $1, $4, $3, $5, $6, $7 }' \
    "$work/results.tsv" >&2
  log "[$series] $done_line; $npass passed, $nfail failed, ${secs}s"
  if [[ $npass -eq 0 && $nfail -eq 0 ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$series" "$release" harness FAIL - - "no guest test ran" \
      >>"$work/results.tsv"
    return 1
  fi
  [[ $done_line == *" rc=0"* && $nfail -eq 0 ]] || {
    log "[$series] guest log tail:"
    sed -n '/^TSVM LOG BEGIN/,/^TSVM LOG END/p' "$work/console.txt" | tail -n 60 >&2
    return 1
  }
}

missing_prereq() {
  log "$*"
  if [[ ${CI:-} == true ]]; then
    log "CI=true: a missing prerequisite is a failure"
    exit 1
  fi
  exit 77
}

cmd_run() {
  local kernels=() out="" tunescope="" refserver="" k rc=0
  only="" extra="" verbose=""
  vm_timeout=${TUNESCOPE_VM_TIMEOUT:-300}
  while [[ $# -gt 0 ]]; do
    case $1 in
      --kernel) kernels+=("$2"); shift 2 ;;
      --out) out=$2; shift 2 ;;
      --tunescope) tunescope=$2; shift 2 ;;
      --refserver) refserver=$2; shift 2 ;;
      --only) only=$2; shift 2 ;;
      --verbose) verbose=1; shift ;;
      --extra) extra=$(cd "$2" && pwd); shift 2 ;;
      --timeout) vm_timeout=$2; shift 2 ;;
      *) log "unknown argument $1"; exit 2 ;;
    esac
  done
  [[ -n $out ]] || { log "--out DIR is required"; exit 2; }
  [[ ${#kernels[@]} -gt 0 ]] || kernels=(6.1 6.12)
  command -v qemu-system-x86_64 >/dev/null ||
    missing_prereq "qemu-system-x86_64 not found (scripts/install-deps.sh --with-tests)"
  # (Whole outputs into variables: with pipefail, `producer | grep -q` fails when grep exits
  # before the producer has written everything.)
  local applets linkage
  applets=$(busybox --list 2>/dev/null || true)
  [[ $'\n'$applets$'\n' == *$'\ncpio\n'* ]] ||
    missing_prereq "busybox (static, with cpio) not found (scripts/install-deps.sh --with-tests)"
  linkage=$(ldd "$(command -v busybox)" 2>&1 || true)
  [[ $linkage == *"not a dynamic executable"* ]] ||
    missing_prereq "busybox is not static: install busybox-static"
  command -v bpftool >/dev/null || missing_prereq "bpftool not found"
  if [[ -n $tunescope && ! -x $tunescope ]]; then
    die "tunescope binary $tunescope does not exist (build the tunescope target first)"
  fi
  if [[ -n $refserver && ! -x $refserver ]]; then
    die "refserver binary $refserver does not exist (build the refserver target first)"
  fi
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  # ctest runs one kernel per test, possibly in parallel: keep the shared part private.
  local common t0
  common=$(mktemp -d "$out/.common.XXXXXX")
  t0=$(date +%s)
  build_common_root "$common/root" "$tunescope" "$refserver"
  make_cpio "$common/root" "$common/common.cpio.gz"
  log "initramfs common part: $(du -h "$common/common.cpio.gz" | cut -f1)"
  for k in "${kernels[@]}"; do
    run_kernel "$k" "$out" "$common/common.cpio.gz" || rc=1
  done
  rm -rf "$common"
  log "total $(($(date +%s) - t0)) s"
  return $rc
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    run) cmd_run "$@" ;;
    fetch)
      [[ ${1:-} == --kernel && -n ${2:-} ]] || { log "usage: fetch --kernel SERIES"; exit 2; }
      fetch_kernel "$2"
      ;;
    report) exec python3 "$here/report.py" "$@" ;;
    *)
      sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
