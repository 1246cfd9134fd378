/* Index of each bounded map in a probe's ts_map_full counter array. */
#ifndef TUNESCOPE_MAP_FULL_H
#define TUNESCOPE_MAP_FULL_H

#define TS_MAP_FULL_SLOTS 4

#endif
