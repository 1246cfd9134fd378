#!/bin/sh
# reqlat probe, socket_syscall mode (forced).
. /tsvm/lib.sh
. /tsvm/probes/reqlat.sh
reqlat_test socket_syscall forced
