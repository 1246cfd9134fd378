#!/bin/sh
# netfilter probe, best mode on this kernel (auto): fentry.
. /tsvm/lib.sh
. /tsvm/probes/netfilter.sh
netfilter_test fentry auto
