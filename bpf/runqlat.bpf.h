/* Shared between runqlat.bpf.c and daemon/probes/runqlat.cpp. */
#ifndef TUNESCOPE_RUNQLAT_H
#define TUNESCOPE_RUNQLAT_H

#define TS_COMM_LEN 16
#define TS_RUNQLAT_MAP_FULL_START 0

struct comm_key {
  char comm[TS_COMM_LEN];
};

#endif
