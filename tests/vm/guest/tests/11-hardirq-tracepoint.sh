#!/bin/sh
# hardirq probe, tracepoint mode.
. /tsvm/lib.sh
. /tsvm/probes/hardirq.sh
hardirq_test tracepoint forced
