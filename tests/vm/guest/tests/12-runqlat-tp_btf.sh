#!/bin/sh
# runqlat probe, best mode on this kernel (auto): tp_btf.
. /tsvm/lib.sh
. /tsvm/probes/runqlat.sh
runqlat_test tp_btf auto
