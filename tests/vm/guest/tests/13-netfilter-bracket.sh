#!/bin/sh
# netfilter probe, bracket mode (forced): netfilter BPF links, kernel >= 6.4; on older
# kernels the test checks that the probe reports the mode as unsupported.
. /tsvm/lib.sh
. /tsvm/probes/netfilter.sh
netfilter_test bracket forced
