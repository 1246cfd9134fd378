#!/bin/sh
# reqlat probe, usdt mode (forced; needs refserver in the initramfs: vmtest.sh --refserver).
. /tsvm/lib.sh
. /tsvm/probes/reqlat.sh
reqlat_usdt_test
