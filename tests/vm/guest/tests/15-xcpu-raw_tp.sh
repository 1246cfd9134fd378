#!/bin/sh
# xcpu probe, raw_tp mode (forced).
. /tsvm/lib.sh
. /tsvm/probes/xcpu.sh
xcpu_test raw_tp forced
