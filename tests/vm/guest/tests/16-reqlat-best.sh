#!/bin/sh
# reqlat probe, best mode on this kernel (auto, without a USDT binary): socket on 6.3+,
# else socket_syscall.
. /tsvm/lib.sh
. /tsvm/probes/reqlat.sh
reqlat_test best auto
