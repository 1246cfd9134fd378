#!/bin/sh
# reqlat probe, socket mode (forced); unsupported before 6.3 (no sock:sock_send_length).
. /tsvm/lib.sh
. /tsvm/probes/reqlat.sh
reqlat_test socket forced
