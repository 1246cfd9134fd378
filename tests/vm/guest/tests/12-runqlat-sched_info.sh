#!/bin/sh
# runqlat probe, best mode on this kernel (auto): sched_info.
. /tsvm/lib.sh
. /tsvm/probes/runqlat.sh
runqlat_test sched_info auto
