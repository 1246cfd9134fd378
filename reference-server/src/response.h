// Routing and response serialisation: turns a parsed request (or a parse error) into the bytes
// of one HTTP/1.1 response. Pure and allocation-free: the caller supplies the output space.
#pragma once

#include <cstddef>
#include <string_view>

#include "parser.h"

namespace refserver {

// Every response this server writes fits in this many bytes.
inline constexpr std::size_t kMaxResponseBytes = 512;

struct Response {
  std::size_t size = 0;  // bytes written
  int status = 0;        // HTTP status code
  bool close = false;    // the connection must be closed after this response
};

// Writes the response to `req` into out[0..kMaxResponseBytes). `date` is an IMF-fixdate.
// GET/HEAD /json: {"message":"Hello, World!"} serialised for this request; GET/HEAD
// /plaintext: Hello, World!; other paths: 404; other methods on those paths: 405.
Response WriteResponse(const http::Request& req, std::string_view date, char* out);

// Writes the error response for a failed parse (400, 413, 431, 501, 505); always closes.
Response WriteParseError(http::ParseStatus status, std::string_view date, char* out);

// 503 for a connection refused by the connection limit; always closes.
Response WriteServiceUnavailable(std::string_view date, char* out);

}  // namespace refserver
