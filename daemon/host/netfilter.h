// Loaded netfilter tables and rule counts: nftables from `nft -j list ruleset`, and iptables
// (legacy and nft back ends) from `iptables-save` text. talawah.io 2021: nf_hook_slow was 18% of
// CPU and unloading netfilter gave +22%.
//
// Observing must not load anything: nft and iptables-nft talk nfnetlink, which can autoload
// the nf_tables module. The collector only runs them when nf_tables is already loaded (or the
// kernel has no module support), and runs the legacy tools only when the legacy tables exist
// (/proc/net/ip_tables_names, ip6_tables_names).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/command.h"
#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct NfChain {
  std::string name;
  std::optional<std::string> hook;    // "input", "prerouting", ... (base chains only)
  std::optional<std::string> policy;  // "accept", "ACCEPT", "DROP"
  int rules = 0;
};

struct NfTable {
  std::string family;  // nft: "ip", "ip6", "inet", "arp", "bridge", "netdev"; iptables: "ip"/"ip6"
  std::string name;    // "filter", "nat", ...
  std::vector<NfChain> chains;
  int rules() const;
  int base_chains() const;  // chains attached to a hook (hook known, or iptables built-in)
};

struct NfRuleset {
  std::string source;  // "nft", "iptables-legacy", "iptables-nft", ...
  std::vector<NfTable> tables;
  int rules() const;
  const NfTable* find(std::string_view family, std::string_view name) const;
};

// `nft -j list ruleset` output.
Result<NfRuleset> ParseNftJson(std::string_view text, std::string_view source = "nft -j");

// `iptables-save` / `ip6tables-save` output; `family` is "ip" or "ip6".
Result<NfRuleset> ParseIptablesSave(std::string_view text, std::string_view family,
                                    std::string_view source = "iptables-save");

struct NetfilterState {
  // Each source is absent with a reason ("nft not installed", "nf_tables not loaded").
  Result<NfRuleset> nft = Result<NfRuleset>::Error("not queried");
  Result<NfRuleset> iptables_legacy = Result<NfRuleset>::Error("not queried");  // ip + ip6
  Result<NfRuleset> iptables_nft = Result<NfRuleset>::Error("not queried");     // ip + ip6
  // Sum over sources that answered; iptables-nft rules also appear in the nft ruleset, so the
  // nft count is used when available, plus the legacy count.
  int total_rules() const;
};

// The rules of the calling thread's network namespace (`paths.Net()` must show the same one).
NetfilterState ReadNetfilter(const HostPaths& paths, CommandRunner& runner);

}  // namespace tunescope::host
