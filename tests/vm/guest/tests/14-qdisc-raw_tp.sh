#!/bin/sh
# qdisc probe, raw_tp mode (forced).
. /tsvm/lib.sh
. /tsvm/probes/qdisc.sh
qdisc_test raw_tp forced
