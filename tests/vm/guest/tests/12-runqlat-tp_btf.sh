#!/bin/sh
# runqlat probe, tp_btf mode.
. /tsvm/lib.sh
. /tsvm/probes/runqlat.sh
runqlat_test tp_btf forced
