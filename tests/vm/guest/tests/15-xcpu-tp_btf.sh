#!/bin/sh
# xcpu probe, best mode on this kernel (auto): tp_btf.
. /tsvm/lib.sh
. /tsvm/probes/xcpu.sh
xcpu_test tp_btf auto
