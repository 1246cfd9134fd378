#include "html_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace tunescope {

Status CheckHtmlPath(std::string_view value) {
  if (value.empty() || value.front() == '-') {
    return Status::Error("flag --html: needs a file name, got \"" + std::string(value) + "\"");
  }
  return {};
}

void AddHtmlFlag(cli::FlagParser& parser, std::string_view what, std::string& path) {
  parser.Add("html", "FILE",
             "also write the " + std::string(what) +
                 " as one self-contained HTML page with charts to FILE",
             [&path](std::string_view v) {
               if (Status s = CheckHtmlPath(v); !s.ok()) return s;
               path = std::string(v);
               return Status();
             });
}

HtmlFile::~HtmlFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (created_ && !written_) ::unlink(path_.c_str());
}

Status HtmlFile::Open(const std::string& path) {
  path_ = path;
  // O_EXCL first, to know whether the file is ours to remove if nothing is written.
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    created_ = true;
    return {};
  }
  if (errno == EEXIST) fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::Error(ErrnoMessage("--html " + path + ": cannot write", errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    // A FIFO or a device would take the page, but it is not a report a browser can open.
    ::close(fd_);
    fd_ = -1;
    return Status::Error("--html " + path + ": not a regular file");
  }
  return {};
}

Status HtmlFile::Write(std::string_view html) {
  if (fd_ < 0) return Status::Error("--html: the file is not open");
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
    return Status::Error(ErrnoMessage("--html " + path_ + ": cannot write", errno));
  }
  while (!html.empty()) {
    ssize_t n = ::write(fd_, html.data(), html.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Error(ErrnoMessage("--html " + path_ + ": cannot write", errno));
    html.remove_prefix(static_cast<size_t>(n));
  }
  written_ = true;
  return {};
}

}  // namespace tunescope
