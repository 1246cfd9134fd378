#!/bin/sh
# Harness self-check: what every probe test relies on is present in the guest.
. /tsvm/lib.sh
[ -r /sys/kernel/btf/vmlinux ] || tsvm_fail "no /sys/kernel/btf/vmlinux"
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || tsvm_fail "bpffs not mounted"
[ -r /sys/kernel/tracing/available_events ] || tsvm_fail "tracefs not mounted"
grep -q '^irq:softirq_entry$' /sys/kernel/tracing/available_events ||
  tsvm_fail "no irq:softirq_entry tracepoint"
[ -z "$TSVM_MODFAIL" ] || tsvm_fail "insmod failed:$TSVM_MODFAIL"
for m in $(sed 's/\.ko$//' /tsvm/modules/order); do
  grep -q "^$m " /proc/modules || tsvm_fail "module $m not loaded"
done
cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
[ "$cs" = tsc ] || tsvm_fail "clocksource is $cs, not tsc: BPF durations would be jiffy-coarse"
ip -o addr show lo | grep -q 'inet 127.0.0.1/8' || tsvm_fail "lo has no 127.0.0.1"
ping -c 3 -W 2 127.0.0.1 >/dev/null || tsvm_fail "no ICMP on loopback"
bpftool prog show >/dev/null || tsvm_fail "bpftool prog show failed"
tsvm_pass "btf, bpffs, tracefs, lo, bpftool, clocksource tsc ok; modules: $(tr '\n' ' ' </tsvm/modules/order)"
