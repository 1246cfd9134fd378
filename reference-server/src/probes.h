// USDT probes of refserver (provider "refserver"), with semaphores: when no tracer is attached
// the semaphores are 0 and the request path pays one predictable branch and no probe.
//
//   refserver:request_parsed   (int fd, u64 seq)              a request was fully parsed
//   refserver:response_queued  (int fd, u64 seq, int status)  its response was handed to the
//                                                             kernel (send/write returned)
// fd is the connection's socket, seq the request's number on that connection (1, 2, ...).
// Probes fire for 1 in N requests (--usdt-sample N); both probes fire for the same requests.
#pragma once

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include <cstdint>

extern "C" {
// Declared with the section and visibility sys/sdt.h expects; defined in probes.cpp.
extern volatile unsigned short refserver_request_parsed_semaphore;
extern volatile unsigned short refserver_response_queued_semaphore;
}

namespace refserver::probes {

inline bool AnyEnabled() {
  return __builtin_expect(
      (refserver_request_parsed_semaphore | refserver_response_queued_semaphore) != 0, 0);
}
inline bool ResponseQueuedEnabled() {
  return refserver_response_queued_semaphore != 0;
}

inline void RequestParsed(int fd, std::uint64_t seq) {
  if (refserver_request_parsed_semaphore != 0) STAP_PROBE2(refserver, request_parsed, fd, seq);
}
inline void ResponseQueued(int fd, std::uint64_t seq, int status) {
  if (refserver_response_queued_semaphore != 0) {
    STAP_PROBE3(refserver, response_queued, fd, seq, status);
  }
}

}  // namespace refserver::probes
