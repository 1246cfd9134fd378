#include "response.h"

#include <cstdint>
#include <cstring>

namespace refserver {
namespace {

class Writer {
 public:
  explicit Writer(char* out) : begin_(out), p_(out) {}
  void Put(std::string_view s) {
    if (s.empty()) return;  // an empty view may hold nullptr, which memcpy must not get
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Put(char c) { *p_++ = c; }
  void PutUint(std::size_t v) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) *p_++ = digits[--n];
  }
  // A JSON string literal, escaped.
  void PutJsonString(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    Put('"');
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        Put('\\');
        Put(ch);
      } else if (c < 0x20) {
        Put("\\u00");
        Put(kHex[c >> 4]);
        Put(kHex[c & 0xf]);
      } else {
        Put(ch);
      }
    }
    Put('"');
  }
  std::size_t size() const { return static_cast<std::size_t>(p_ - begin_); }
  char* cursor() { return p_; }

 private:
  char* begin_;
  char* p_;
};

constexpr std::string_view kServerHeader = "Server: refserver\r\n";
constexpr std::string_view kHelloWorld = "Hello, World!";

// Status line, Server, Date, Content-Type, Content-Length, optional headers, blank line.
void PutHead(Writer& w, std::string_view status_line, std::string_view date,
             std::string_view content_type, std::size_t content_length, std::string_view allow,
             std::string_view connection) {
  w.Put(status_line);
  w.Put(kServerHeader);
  w.Put("Date: ");
  w.Put(date);
  w.Put("\r\nContent-Type: ");
  w.Put(content_type);
  w.Put("\r\nContent-Length: ");
  w.PutUint(content_length);
  w.Put("\r\n");
  w.Put(allow);
  w.Put(connection);
  w.Put("\r\n");
}

constexpr std::string_view kClose = "Connection: close\r\n";

std::string_view ConnectionHeader(const http::Request& req) {
  if (!req.keep_alive) return kClose;
  if (req.version_minor == 0) return "Connection: keep-alive\r\n";
  return {};
}

// A short text/plain response (errors, 404, 405).
Response WriteSimple(std::string_view status_line, int status, std::string_view body,
                     std::string_view date, std::string_view allow, std::string_view connection,
                     bool head, char* out) {
  Writer w(out);
  PutHead(w, status_line, date, "text/plain", body.size(), allow, connection);
  if (!head) w.Put(body);
  return {w.size(), status, connection == kClose};
}

}  // namespace

Response WriteResponse(const http::Request& req, std::string_view date, char* out) {
  const bool head = req.method == http::Method::kHead;
  const bool known_method = req.method != http::Method::kOther;
  const bool json = req.path == "/json";
  const bool plaintext = req.path == "/plaintext";
  if ((json || plaintext) && !known_method) {
    return WriteSimple("HTTP/1.1 405 Method Not Allowed\r\n", 405, "Method Not Allowed\n", date,
                       "Allow: GET, HEAD\r\n", ConnectionHeader(req), head, out);
  }
  if (!json && !plaintext) {
    return WriteSimple("HTTP/1.1 404 Not Found\r\n", 404, "Not Found\n", date, {},
                       ConnectionHeader(req), head, out);
  }

  Writer w(out);
  if (plaintext) {
    PutHead(w, "HTTP/1.1 200 OK\r\n", date, "text/plain", kHelloWorld.size(), {},
            ConnectionHeader(req));
    if (!head) w.Put(kHelloWorld);
    return {w.size(), 200, !req.keep_alive};
  }

  // TechEmpower json: the body is serialised for every request, never cached; its length is
  // known only afterwards, so it goes to a stack buffer first.
  char body[64];
  Writer b(body);
  b.Put('{');
  b.PutJsonString("message");
  b.Put(':');
  b.PutJsonString(kHelloWorld);
  b.Put('}');
  PutHead(w, "HTTP/1.1 200 OK\r\n", date, "application/json", b.size(), {}, ConnectionHeader(req));
  if (!head) w.Put(std::string_view(body, b.size()));
  return {w.size(), 200, !req.keep_alive};
}

Response WriteParseError(http::ParseStatus status, std::string_view date, char* out) {
  switch (status) {
    case http::ParseStatus::kHeadersTooLarge:
      return WriteSimple("HTTP/1.1 431 Request Header Fields Too Large\r\n", 431,
                         "Request Header Fields Too Large\n", date, {}, kClose, false, out);
    case http::ParseStatus::kBodyTooLarge:
      return WriteSimple("HTTP/1.1 413 Content Too Large\r\n", 413, "Content Too Large\n", date, {},
                         kClose, false, out);
    case http::ParseStatus::kNotImplemented:
      return WriteSimple("HTTP/1.1 501 Not Implemented\r\n", 501, "Not Implemented\n", date, {},
                         kClose, false, out);
    case http::ParseStatus::kVersionNotSupported:
      return WriteSimple("HTTP/1.1 505 HTTP Version Not Supported\r\n", 505,
                         "HTTP Version Not Supported\n", date, {}, kClose, false, out);
    default:
      return WriteSimple("HTTP/1.1 400 Bad Request\r\n", 400, "Bad Request\n", date, {}, kClose,
                         false, out);
  }
}

Response WriteServiceUnavailable(std::string_view date, char* out) {
  return WriteSimple("HTTP/1.1 503 Service Unavailable\r\n", 503, "Service Unavailable\n", date, {},
                     kClose, false, out);
}

}  // namespace refserver
