// Incremental, allocation-free HTTP/1.x request parser.
//
// The caller keeps the bytes of a connection in its own buffer and calls Parse() with the bytes
// received so far, always starting at the first byte of the request being parsed. The parser
// remembers how far it got, so each byte is examined once however the request is split across
// reads. Parse() never allocates, never throws and never reads outside the view it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace refserver::http {

enum class Method : std::uint8_t { kGet, kHead, kOther };

// Outcome of one Parse() call. Every error is final: the caller answers it and closes.
enum class ParseStatus : std::uint8_t {
  kComplete,             // a whole request (headers and body) is in the buffer
  kIncomplete,           // need more bytes
  kBadRequest,           // 400: malformed request line, header, framing
  kHeadersTooLarge,      // 431: request line + headers exceed Limits::max_header_bytes
  kBodyTooLarge,         // 413: Content-Length exceeds Limits::max_body_bytes
  kNotImplemented,       // 501: Transfer-Encoding (chunked or other) is not supported
  kVersionNotSupported,  // 505: HTTP major version other than 1
};

struct Limits {
  std::size_t max_header_bytes = 8192;  // request line + headers + final CRLF
  std::size_t max_body_bytes = 4096;
};

// A parsed request. Views point into the caller's buffer and live as long as its bytes.
struct Request {
  Method method = Method::kOther;
  std::string_view method_name;
  std::string_view target;  // request-target as sent, e.g. "/json?x=1"
  std::string_view path;    // target up to the first '?'
  std::uint8_t version_minor = 1;
  bool keep_alive = true;
  std::uint32_t content_length = 0;
  std::size_t header_bytes = 0;  // request line + headers + final CRLF
  std::size_t total_bytes = 0;   // header_bytes + content_length: what to consume
};

class Parser {
 public:
  explicit Parser(Limits limits = {}) : limits_(limits) {}

  // Parses `buf`, which starts at the first byte of the current request and holds every byte
  // received for it so far (and possibly following pipelined requests). Calls for one request
  // must pass growing prefixes of the same byte stream. After kComplete or an error the parser
  // is reset and ready for the next request (which starts at buf[out.total_bytes]).
  ParseStatus Parse(std::string_view buf, Request& out);

  // Forgets a partly parsed request (e.g. when the connection is reused for a new client).
  void Reset();

 private:
  enum class State : std::uint8_t { kRequestLine, kHeaders, kBody };

  ParseStatus ParseRequestLine(std::string_view line);
  ParseStatus ParseHeaderLine(std::string_view line);
  ParseStatus FinishHeaders(std::size_t header_end);
  ParseStatus Fail(ParseStatus status);

  Limits limits_;
  State state_ = State::kRequestLine;
  std::size_t pos_ = 0;   // start of the first line not yet parsed
  std::size_t scan_ = 0;  // bytes in [pos_, scan_) hold no LF
  // Request line, as offsets into the buffer (views would dangle if the buffer moved).
  std::uint32_t method_len_ = 0;
  std::uint32_t target_off_ = 0;
  std::uint32_t target_len_ = 0;
  std::uint8_t version_minor_ = 1;
  // What the headers said.
  std::uint8_t host_count_ = 0;
  bool has_content_length_ = false;
  bool has_transfer_encoding_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  std::uint64_t content_length_ = 0;
  std::size_t header_end_ = 0;
};

}  // namespace refserver::http
