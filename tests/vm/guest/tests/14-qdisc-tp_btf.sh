#!/bin/sh
# qdisc probe, best mode on this kernel (auto): tp_btf.
. /tsvm/lib.sh
. /tsvm/probes/qdisc.sh
qdisc_test tp_btf auto
