#include "http/web_config.h"

#include <crypt.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace tunescope::http {
namespace {

std::string LineError(const YAML::Mark& mark, const std::string& what) {
  return "line " + std::to_string(mark.line + 1) + ": " + what;
}

bool IsBcrypt(const std::string& hash) {
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

// "$2y$NN$" + 22 salt + 31 hash characters of bcrypt's base64 alphabet; errors say what is
// wrong with the hash of USER. A hash that passes can be verified in bounded time.
std::string UnusableBcrypt(const std::string& user, const std::string& hash) {
  const std::string who = "the hash of user \"" + user + "\"";
  if (!IsBcrypt(hash)) {
    return "the password of user \"" + user +
           "\" is not a bcrypt hash ($2y$..., e.g. from htpasswd -nBC 10 USER)";
  }
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5])) || hash[6] != '$') {
    return who + " has no two-digit cost ($2y$10$...)";
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    return who + " has bcrypt cost " + std::to_string(cost) + ", outside " +
           std::to_string(kMinBcryptCost) + ".." + std::to_string(kMaxBcryptCost) +
           " (below 4 nothing verifies; each step above doubles the CPU a login costs)";
  }
  constexpr std::string_view kAlphabet =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (hash.find_first_not_of(kAlphabet, 7) != std::string::npos) {
    return who + " has a character outside bcrypt's alphabet";
  }
  // Let libxcrypt judge the salt at the cheapest cost: it refuses some encodings the
  // alphabet check lets through, and a refused salt would deny every password forever.
  std::string probe = hash.substr(0, 4) + "04$" + hash.substr(7, 22);
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r("", probe.c_str(), data.get());
  if (result == nullptr || result[0] == '*' || std::string_view(result).substr(0, 29) != probe) {
    return who + " is not accepted by libxcrypt (bad salt)";
  }
  return "";
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(password.c_str(), hash.c_str(), data.get());
  return result != nullptr && result[0] != '*' && ConstantTimeEqual(result, hash);
}

// Whether line LINE (from 0) of TEXT has a tab before its first other character.
bool IndentedWithTab(std::string_view text, int line) {
  for (int i = 0; i < line; ++i) {
    const size_t end = text.find('\n');
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
  }
  const size_t first = text.find_first_not_of(' ');
  return first != std::string_view::npos && text[first] == '\t';
}

// The exporter-toolkit format, read as exporter-toolkit reads it (Go's yaml.UnmarshalStrict): any
// YAML form (block or flow maps, quoted keys, comments, anchors), an unknown key or a user listed
// twice is an error. What tunescope cannot honour is refused rather than ignored: ignoring
// tls_server_config would serve in clear text what the operator meant to encrypt.
Status ParseUsers(const YAML::Node& users, WebConfig& out) {
  if (users.IsNull()) return {};  // "basic_auth_users:" with nothing under it
  if (!users.IsMap()) {
    return Status::Error(LineError(users.Mark(), "basic_auth_users must be a map of user: hash"));
  }
  for (const auto& entry : users) {
    if (!entry.first.IsScalar()) {
      return Status::Error(LineError(entry.first.Mark(), "a user name must be a string"));
    }
    const std::string user = entry.first.Scalar();
    if (user.empty()) return Status::Error(LineError(entry.first.Mark(), "empty user name"));
    const std::string hash = entry.second.IsScalar() ? entry.second.Scalar() : "";
    if (std::string unusable = UnusableBcrypt(user, hash); !unusable.empty()) {
      return Status::Error(LineError(entry.first.Mark(), unusable));
    }
    if (!out.basic_auth_users.emplace(user, hash).second) {
      return Status::Error(LineError(entry.first.Mark(), "user \"" + user + "\" appears twice"));
    }
  }
  return {};
}

// http_server_config only tunes HTTP/2, which exporter-toolkit serves with TLS alone, and adds
// response headers, which tunescope does not: http2 is accepted, headers refused.
Status CheckHttpServerConfig(const YAML::Node& config) {
  if (config.IsNull()) return {};
  if (!config.IsMap())
    return Status::Error(LineError(config.Mark(), "http_server_config must be a map"));
  for (const auto& entry : config) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "http2") continue;
    return Status::Error(LineError(
        entry.first.Mark(), "http_server_config: \"" + key + "\" is not supported (only http2)"));
  }
  return {};
}

}  // namespace

Status ParseWebConfig(std::string_view text, WebConfig& out) {
  out = WebConfig{};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp calls a tab in the indentation an "illegal map value"; say what it is.
    std::string what = e.msg;
    if (IndentedWithTab(text, e.mark.line))
      what += " (a tab in the indentation: YAML indents with spaces)";
    return Status::Error(LineError(e.mark, what));
  }
  if (!root.IsNull() && !root.IsMap()) {
    return Status::Error(
        LineError(root.Mark(), "expected a map of settings (basic_auth_users: ...)"));
  }
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (!seen.insert(key).second) {
      return Status::Error(LineError(entry.first.Mark(), "\"" + key + "\" appears twice"));
    }
    Status s;
    if (key == "basic_auth_users") {
      s = ParseUsers(entry.second, out);
    } else if (key == "tls_server_config") {
      s = Status::Error(LineError(
          entry.first.Mark(),
          "tls_server_config is not supported: this build's CivetWeb cannot do TLS with "
          "OpenSSL 3; terminate TLS in front of tunescope (see 'Authentication and TLS' in "
          "docs/deploy.md)"));
    } else if (key == "http_server_config") {
      s = CheckHttpServerConfig(entry.second);
    } else {
      s = Status::Error(LineError(entry.first.Mark(), "\"" + key +
                                                          "\" is not supported (supported: "
                                                          "basic_auth_users, http_server_config)"));
    }
    if (!s.ok()) return s;
  }
  // Fail closed: a file meant to protect the endpoints must never leave them open.
  if (out.basic_auth_users.empty()) {
    return Status::Error(
        "no basic_auth_users: a web config must list at least one user (drop "
        "--web.config.file to serve without authentication)");
  }
  return {};
}

Status LoadWebConfig(const std::string& path, WebConfig& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::Error(ErrnoMessage("web config " + path, errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::Error(ErrnoMessage("web config " + path, S_ISDIR(st.st_mode) ? EISDIR : EINVAL) +
                         " (want a regular file)");
  }
  std::ifstream in(path);
  if (!in) return Status::Error(ErrnoMessage("web config " + path, errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error(ErrnoMessage("web config " + path, errno));
  if (Status s = ParseWebConfig(text.str(), out); !s.ok()) {
    return Status::Error("web config " + path + ": " + s.error());
  }
  return {};
}

bool DecodeBase64(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    std::array<int, 4> v{};
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[j] = value(c);
      if (v[j] < 0) return false;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) |
                          (static_cast<unsigned>(v[1]) << 12) | (static_cast<unsigned>(v[2]) << 6) |
                          static_cast<unsigned>(v[3]);
    out += static_cast<char>((bits >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return true;
}

// bcrypt on threads of its own, at nice 10: a flood of wrong passwords then gets what the
// CPUs have left after serving, not an equal share with the serving threads, and never more
// checks at once than there are verifier threads.
class BcryptVerifier {
 public:
  explicit BcryptVerifier(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~BcryptVerifier() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  BcryptVerifier(const BcryptVerifier&) = delete;
  BcryptVerifier& operator=(const BcryptVerifier&) = delete;

  // Whether PASSWORD matches HASH; nothing when every verifier thread is taken (the caller
  // turns the request away rather than queue it behind a flood).
  std::optional<bool> Verify(const std::string& password, const std::string& hash) {
    Job job{password, hash, {}};
    std::future<bool> result = job.matches.get_future();
    {
      std::lock_guard lock(mu_);
      if (taken_ >= threads_.size()) return std::nullopt;
      ++taken_;
      jobs_.push_back(&job);
    }
    wake_.notify_one();
    const bool matches = result.get();
    std::lock_guard lock(mu_);
    --taken_;
    return matches;
  }

 private:
  struct Job {
    const std::string& password;
    const std::string& hash;
    std::promise<bool> matches;
  };

  void Run() {
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);  // lowering is always allowed
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      Job* job = jobs_.front();
      jobs_.pop_front();
      lock.unlock();
      job->matches.set_value(BcryptMatches(job->password, job->hash));
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job*> jobs_;
  size_t taken_ = 0;  // jobs queued or running
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

struct BasicAuth::Cache {
  explicit Cache(unsigned verifiers) : verifier(verifiers) {}
  std::mutex mu;
  std::map<std::string, std::string> verified;  // user -> the password last verified for it
  BcryptVerifier verifier;
};

BasicAuth::BasicAuth(std::map<std::string, std::string> users, unsigned max_verifications)
    : users_(std::move(users)),
      max_verifications_(std::max(1u, max_verifications)),
      cache_(std::make_unique<Cache>(max_verifications_)) {}

BasicAuth::~BasicAuth() = default;

unsigned BasicAuth::DefaultMaxVerifications() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

BasicAuth::Result BasicAuth::Check(std::string_view header) const {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() <= kScheme.size()) return Result::kDenied;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return Result::kDenied;
  }
  std::string decoded;
  if (!DecodeBase64(header.substr(kScheme.size()), decoded)) return Result::kDenied;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos || users_.empty()) return Result::kDenied;
  const std::string user = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  auto it = users_.find(user);
  if (it != users_.end()) {
    std::lock_guard lock(cache_->mu);
    auto hit = cache_->verified.find(user);
    if (hit != cache_->verified.end() && ConstantTimeEqual(hit->second, password)) {
      return Result::kAllowed;
    }
  }
  // bcrypt is the one costly step a client without credentials can trigger: it runs off the
  // serving threads, a bounded number at once, and the rest are turned away at once, so wrong
  // passwords cannot take the CPUs or the threads that verified (cached) scrapes need.
  // An unknown user spends the same bcrypt time as a known one: timing does not reveal names.
  const std::string& hash = it == users_.end() ? users_.begin()->second : it->second;
  std::optional<bool> matches = cache_->verifier.Verify(password, hash);
  if (!matches) return Result::kBusy;
  if (!*matches || it == users_.end()) return Result::kDenied;
  std::lock_guard lock(cache_->mu);
  cache_->verified[user] = password;
  return Result::kAllowed;
}

HttpGate BasicAuthGate(std::shared_ptr<const BasicAuth> auth) {
  return [auth = std::move(auth)](const HttpRequest& request) -> std::optional<HttpResponse> {
    switch (auth->Check(request.authorization)) {
      case BasicAuth::Result::kAllowed:
        return std::nullopt;
      case BasicAuth::Result::kBusy:
        return HttpResponse{429,
                            "text/plain; charset=utf-8",
                            "too many password checks in progress, retry\n",
                            {{"Retry-After", "1"}}};
      case BasicAuth::Result::kDenied:
        break;
    }
    return HttpResponse{401,
                        "text/plain; charset=utf-8",
                        "unauthorized\n",
                        {{"WWW-Authenticate", "Basic realm=\"tunescope\", charset=\"UTF-8\""}}};
  };
}

}  // namespace tunescope::http
