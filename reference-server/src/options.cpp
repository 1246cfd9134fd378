#include "options.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string_view>

#include "version.h"

namespace refserver {
namespace {

constexpr std::string_view kUsage =
    "usage: refserver [options]\n"
    "  --listen ADDR:PORT    address to listen on (default 127.0.0.1:8080; [::1]:PORT for "
    "IPv6;\n"
    "                        port 0 picks a free port, printed on stdout)\n"
    "  --workers N           worker threads (default: one per CPU in the affinity mask)\n"
    "  --timeout SECONDS     close idle or slow clients after this long (default 10)\n"
    "  --max-conns N         connection limit across workers; beyond it 503 (default 10000)\n"
    "  --usdt-sample N       fire the USDT probes for 1 in N requests (default 1 = all)\n"
    "  --no-pin              do not pin workers to CPUs\n"
    "  --no-reuseport        one listening socket shared by all workers\n"
    "  --no-cbpf             no SO_ATTACH_REUSEPORT_CBPF steering\n"
    "  --no-batch-send       one send per response instead of one per pipelined batch\n"
    "  --no-recv-send        use read/write instead of recv/send\n"
    "  --no-date-cache       format the Date header for every response\n"
    "  --help                this text\n"
    "  --version             print the version\n";

bool ParseInt(std::string_view s, long long min, long long max, long long& out) {
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

bool ParsePort(std::string_view s, std::uint16_t& port) {
  long long v = 0;
  if (!ParseInt(s, 0, 65535, v)) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

bool ParseListenAddress(const std::string& text, sockaddr_storage& addr, socklen_t& len) {
  std::memset(&addr, 0, sizeof(addr));
  std::uint16_t port = 0;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    const std::string host = text.substr(1, close - 1);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) return false;
    if (!ParsePort(std::string_view(text).substr(close + 2), port)) return false;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string host = text.substr(0, colon);
  auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) return false;
  if (!ParsePort(std::string_view(text).substr(colon + 1), port)) return false;
  a4->sin_family = AF_INET;
  a4->sin_port = htons(port);
  len = sizeof(sockaddr_in);
  return true;
}

ParseOutcome ParseOptions(int argc, char** argv, Options& opts, std::string& message) {
  if (!ParseListenAddress(opts.listen_text, opts.listen_addr, opts.listen_addr_len)) {
    message = "refserver: internal error: bad default listen address";
    return ParseOutcome::kUsageError;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (const std::size_t eq = arg.find('=');
        arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto flag_only = [&](bool& field, bool v) {
      if (has_value) {
        message = "refserver: " + std::string(arg) + " takes no value (try --help)";
        return false;
      }
      field = v;
      return true;
    };
    auto take_value = [&]() {
      if (has_value) return true;
      if (i + 1 >= argc) {
        message = "refserver: " + std::string(arg) + " needs a value (try --help)";
        return false;
      }
      value = argv[++i];
      return true;
    };
    auto int_flag = [&](long long min, long long max, long long& out) {
      if (!take_value()) return false;
      if (!ParseInt(value, min, max, out)) {
        message = "refserver: " + std::string(arg) + ": expected an integer in [" +
                  std::to_string(min) + ", " + std::to_string(max) + "], got '" +
                  std::string(value) + "'";
        return false;
      }
      return true;
    };

    long long n = 0;
    bool ok = true;
    if (arg == "--help" || arg == "-h") {
      message = std::string(kUsage);
      return ParseOutcome::kExitOk;
    } else if (arg == "--version") {
      message = std::string("refserver ") + kVersion + "\n";
      return ParseOutcome::kExitOk;
    } else if (arg == "--listen") {
      ok = take_value();
      if (ok && !ParseListenAddress(std::string(value), opts.listen_addr, opts.listen_addr_len)) {
        message = "refserver: --listen: expected ADDR:PORT or [ADDR6]:PORT, got '" +
                  std::string(value) + "'";
        ok = false;
      }
      if (ok) opts.listen_text = std::string(value);
    } else if (arg == "--workers") {
      ok = int_flag(1, 1024, n);
      if (ok) opts.workers = static_cast<int>(n);
    } else if (arg == "--timeout") {
      ok = int_flag(1, 86400, n);
      if (ok) opts.idle_timeout_s = static_cast<int>(n);
    } else if (arg == "--max-conns") {
      ok = int_flag(1, 10'000'000, n);
      if (ok) opts.max_connections = static_cast<int>(n);
    } else if (arg == "--usdt-sample") {
      ok = int_flag(1, 1'000'000'000, n);
      if (ok) opts.usdt_sample = static_cast<std::uint32_t>(n);
    } else if (arg == "--no-pin") {
      ok = flag_only(opts.pin, false);
    } else if (arg == "--no-reuseport") {
      ok = flag_only(opts.reuseport, false);
    } else if (arg == "--no-cbpf") {
      ok = flag_only(opts.cbpf, false);
    } else if (arg == "--no-batch-send") {
      ok = flag_only(opts.batch_send, false);
    } else if (arg == "--no-recv-send") {
      ok = flag_only(opts.recv_send, false);
    } else if (arg == "--no-date-cache") {
      ok = flag_only(opts.date_cache, false);
    } else {
      message = "refserver: unknown option '" + std::string(argv[i]) + "' (try --help)";
      ok = false;
    }
    if (!ok) return ParseOutcome::kUsageError;
  }
  // Steering picks a socket of a SO_REUSEPORT group: without the group there is nothing to do.
  if (!opts.reuseport) opts.cbpf = false;
  return ParseOutcome::kRun;
}

}  // namespace refserver
