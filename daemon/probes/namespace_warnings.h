// Warnings said once per network namespace, across the re-attaches of every window.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace tunescope::probes {

class NamespaceWarnings {
 public:
  // True the first time `netns` ("" for the daemon's own) is seen since it was last forgotten.
  bool First(const std::string& netns) { return said_.insert(netns).second; }

  // Containers come and go for months: a namespace the target left is warned about again only
  // if the target returns to it, and the set stays as small as the target's namespaces. The
  // daemon's own is never forgotten.
  void KeepOnly(const std::vector<std::string>& target_netns) {
    std::erase_if(said_, [&](const std::string& id) {
      return !id.empty() &&
             std::find(target_netns.begin(), target_netns.end(), id) == target_netns.end();
    });
  }

  size_t size() const { return said_.size(); }

 private:
  std::set<std::string> said_;
};

}  // namespace tunescope::probes
