// libFuzzer target for the refserver request parser and response writer.
//
// Each input is a byte stream sent on one connection. It is parsed twice, as one buffer and as a
// sequence of reads whose sizes come from the input itself, the way the server does it
// (consume each complete request, keep the rest). Both runs must give the same requests and the
// same final status, every view must lie inside the buffer, and every response must fit in
// kMaxResponseBytes. Any difference aborts, which libFuzzer reports as a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "parser.h"
#include "response.h"

namespace {

using refserver::http::ParseStatus;

struct Outcome {
  std::vector<std::string> requests;  // method, target, sizes, flags of each complete request
  ParseStatus final_status = ParseStatus::kIncomplete;
  bool operator==(const Outcome&) const = default;
};

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Parses the stream in reads of the given sizes (cycled); sizes empty = one read.
Outcome Run(std::string_view stream, const std::vector<std::size_t>& reads) {
  constexpr refserver::http::Limits kLimits{512, 256};  // small, to reach the limits often
  refserver::http::Parser parser(kLimits);
  Outcome out;
  std::size_t start = 0;     // first byte of the current request
  std::size_t received = 0;  // bytes "received" so far
  std::size_t read_index = 0;
  char response[refserver::kMaxResponseBytes];
  while (true) {
    const std::size_t step = reads.empty() ? stream.size() : reads[read_index++ % reads.size()];
    received = std::min(stream.size(), received + step);
    while (start < received) {
      const std::string_view buf = stream.substr(start, received - start);
      refserver::http::Request req;
      const ParseStatus st = parser.Parse(buf, req);
      if (st == ParseStatus::kIncomplete) break;
      if (st != ParseStatus::kComplete) {
        const refserver::Response r =
            refserver::WriteParseError(st, "Thu, 01 Jan 1970 00:00:00 GMT", response);
        Check(r.size <= sizeof(response) && r.close, "error response");
        out.final_status = st;
        return out;
      }
      Check(req.total_bytes > 0 && req.total_bytes <= buf.size(), "total_bytes in buffer");
      Check(req.header_bytes <= kLimits.max_header_bytes, "header bound");
      Check(req.content_length <= kLimits.max_body_bytes, "body bound");
      Check(req.header_bytes + req.content_length == req.total_bytes, "framing");
      Check(Inside(req.target, buf) && Inside(req.path, buf) && Inside(req.method_name, buf),
            "views inside buffer");
      Check(!req.target.empty() && req.target.substr(0, req.path.size()) == req.path, "path");
      const refserver::Response r =
          refserver::WriteResponse(req, "Thu, 01 Jan 1970 00:00:00 GMT", response);
      Check(r.size <= sizeof(response), "response size");
      out.requests.push_back(std::string(req.method_name) + " " + std::string(req.target) + " " +
                             std::to_string(req.total_bytes) + " " +
                             std::to_string(req.keep_alive) + std::to_string(req.version_minor) +
                             " " + std::to_string(r.status));
      start += req.total_bytes;
    }
    if (received == stream.size()) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the read sizes (1..16 bytes, then doubling patterns).
  const unsigned k = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::size_t> reads = {(k & 15u) + 1, ((k >> 4) & 15u) + 1, 1, 64};
  const Outcome whole = Run(stream, {});
  const Outcome split = Run(stream, reads);
  const Outcome bytewise = Run(stream, {1});
  Check(whole == split, "split reads changed the outcome");
  Check(whole == bytewise, "byte-by-byte reads changed the outcome");
  return 0;
}
