// Command-line flags of refserver. Every tuning is on by default and has a --no-... flag so that
// the tuning ladder can be walked one step at a time.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace refserver {

struct Options {
  sockaddr_storage listen_addr{};
  socklen_t listen_addr_len = 0;
  std::string listen_text = "127.0.0.1:8080";
  int workers = 0;                // 0: one per CPU this process may run on
  int idle_timeout_s = 10;        // idle keep-alive and slow (partial) requests
  int max_connections = 10000;    // across all workers
  std::uint32_t usdt_sample = 1;  // fire USDT probes for 1 in N requests
  // Tunings (true = on).
  bool pin = true;         // pin worker i to the i-th allowed CPU
  bool reuseport = true;   // one SO_REUSEPORT listener per worker (else one shared)
  bool cbpf = true;        // SO_ATTACH_REUSEPORT_CBPF: connection -> worker of its CPU
  bool batch_send = true;  // one send per batch of pipelined responses
  bool recv_send = true;   // recv/send rather than read/write
  bool date_cache = true;  // Date formatted once a second rather than per response
};

enum class ParseOutcome { kRun, kExitOk, kUsageError };

// Parses argv. On kExitOk (help/version) the text is in `message` for stdout; on kUsageError a
// single line (no newline) is in `message` for stderr.
ParseOutcome ParseOptions(int argc, char** argv, Options& opts, std::string& message);

// Parses "A.B.C.D:PORT" or "[v6]:PORT". Returns false if malformed.
bool ParseListenAddress(const std::string& text, sockaddr_storage& addr, socklen_t& len);

}  // namespace refserver
