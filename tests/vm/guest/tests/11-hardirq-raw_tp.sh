#!/bin/sh
# hardirq probe, raw_tp mode.
. /tsvm/lib.sh
. /tsvm/probes/hardirq.sh
hardirq_test raw_tp forced
