#include "probes.h"

// sys/sdt.h records the address of these in each probe's note; a tracer increments them while
// attached. They must live in the .probes section.
extern "C" {
__attribute__((section(".probes"),
               visibility("hidden"))) volatile unsigned short refserver_request_parsed_semaphore =
    0;
__attribute__((section(".probes"),
               visibility("hidden"))) volatile unsigned short refserver_response_queued_semaphore =
    0;
}
