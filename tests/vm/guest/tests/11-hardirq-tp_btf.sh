#!/bin/sh
# hardirq probe, best mode on this kernel (auto): tp_btf.
. /tsvm/lib.sh
. /tsvm/probes/hardirq.sh
hardirq_test tp_btf auto
