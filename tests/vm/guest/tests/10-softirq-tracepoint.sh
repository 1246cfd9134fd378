#!/bin/sh
# softirq probe, tracepoint mode.
. /tsvm/lib.sh
. /tsvm/probes/softirq.sh
softirq_test tracepoint forced
