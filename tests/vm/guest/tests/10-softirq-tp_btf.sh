#!/bin/sh
# softirq probe, best mode on this kernel (auto): tp_btf.
. /tsvm/lib.sh
. /tsvm/probes/softirq.sh
softirq_test tp_btf auto
