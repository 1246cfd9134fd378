// Per-connection state: fixed input/output buffers, the parser, the timeout deadline and the
// sampled requests whose response_queued probe is still due. Allocated on accept and recycled,
// never on the request path.
#pragma once

#include <cstdint>

#include "parser.h"

namespace refserver {

inline constexpr std::uint32_t kInBufferBytes = 16 * 1024;   // > max headers + max body
inline constexpr std::uint32_t kOutBufferBytes = 16 * 1024;  // a pipelined batch of responses
inline constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxBodyBytes = 4 * 1024;
static_assert(kMaxHeaderBytes + kMaxBodyBytes <= kInBufferBytes,
              "a whole request must fit in the input buffer");
inline constexpr int kMaxProbesInFlight = 64;  // sampled responses queued but not yet sent

struct Connection {
  // A sampled request whose response ends at out[end] and has not been sent yet.
  struct PendingProbe {
    std::uint64_t seq;
    std::uint32_t end;
    int status;
  };

  int fd = -1;
  std::uint64_t seq = 0;      // requests parsed on this connection
  std::int64_t deadline = 0;  // monotonic seconds; closed by the sweep after it
  http::Parser parser{http::Limits{kMaxHeaderBytes, kMaxBodyBytes}};
  std::uint32_t in_len = 0;
  std::uint32_t out_sent = 0;
  std::uint32_t out_len = 0;
  bool closing = false;     // close once the queued output is sent
  bool draining = false;    // write side shut down; discarding input until EOF or deadline
  bool want_write = false;  // waiting for EPOLLOUT (reading paused)
  int probes_in_flight = 0;
  PendingProbe probes[kMaxProbesInFlight];
  Connection* prev = nullptr;  // the worker's list of open connections
  Connection* next = nullptr;
  char in[kInBufferBytes];
  char out[kOutBufferBytes];
};

}  // namespace refserver
