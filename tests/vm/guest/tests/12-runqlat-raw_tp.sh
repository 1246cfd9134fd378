#!/bin/sh
# runqlat probe, raw_tp mode.
. /tsvm/lib.sh
. /tsvm/probes/runqlat.sh
runqlat_test raw_tp forced
