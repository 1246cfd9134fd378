#!/bin/sh
# netfilter probe, kprobe mode (forced).
. /tsvm/lib.sh
. /tsvm/probes/netfilter.sh
netfilter_test kprobe forced
