// The file behind `--html FILE` of advise and experiment. It is opened while the flags are
// checked, so that a path that cannot be written stops the command (one line, exit 2) before
// any probe attaches or any setting changes, and written once when the report is ready.
#pragma once

#include <string>
#include <string_view>

#include "core/flag_parser.h"
#include "host/result.h"

namespace tunescope {

// The --html flag's value check: a file name, not empty and not the next flag (`--html --json`
// would otherwise write a file called "--json").
Status CheckHtmlPath(std::string_view value);

// Adds `--html FILE` to a command's flags; `what` is "report" or "result".
void AddHtmlFlag(cli::FlagParser& parser, std::string_view what, std::string& path);

class HtmlFile {
 public:
  HtmlFile() = default;
  HtmlFile(const HtmlFile&) = delete;
  HtmlFile& operator=(const HtmlFile&) = delete;
  // Removes a file it created but never wrote (a run that failed or was refused).
  ~HtmlFile();

  // Opens (creating it if needed) `path` for writing; the error names the path and the reason.
  Status Open(const std::string& path);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  // Replaces the file's content with `html`.
  Status Write(std::string_view html);

 private:
  std::string path_;
  int fd_ = -1;
  bool created_ = false;
  bool written_ = false;
};

}  // namespace tunescope
