#!/bin/sh
# softirq probe, raw_tp mode.
. /tsvm/lib.sh
. /tsvm/probes/softirq.sh
softirq_test raw_tp forced
