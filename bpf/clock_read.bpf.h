/* Shared between clock_read.bpf.c and daemon/kernelstats/clock_read.cpp. */
#ifndef TUNESCOPE_CLOCK_READ_H
#define TUNESCOPE_CLOCK_READ_H

/* Turns of each program's loop: enough that one run's clock reads dwarf the test-run
 * dispatch, few enough that the verifier walks them quickly. */
#define TS_CLOCK_LOOPS 256

#endif
