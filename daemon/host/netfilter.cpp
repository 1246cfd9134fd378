#include "host/netfilter.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "host/text.h"

namespace tunescope::host {

int NfTable::rules() const {
  int n = 0;
  for (const auto& c : chains) n += c.rules;
  return n;
}

int NfTable::base_chains() const {
  int n = 0;
  for (const auto& c : chains) n += c.hook ? 1 : 0;
  return n;
}

int NfRuleset::rules() const {
  int n = 0;
  for (const auto& t : tables) n += t.rules();
  return n;
}

const NfTable* NfRuleset::find(std::string_view family, std::string_view name) const {
  for (const auto& t : tables) {
    if (t.family == family && t.name == name) return &t;
  }
  return nullptr;
}

namespace {

// The member named `key` of `obj`, or nullptr (also when obj is not an object).
const nlohmann::json* Member(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);  // end() when obj is not an object
  return it != obj.end() ? &*it : nullptr;
}

// A member's string, or "" when it is missing or not a string: nft leaves out what is unset.
std::string StrMember(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* v = Member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

NfTable& TableFor(NfRuleset& rs, const std::string& family, const std::string& name) {
  for (auto& t : rs.tables) {
    if (t.family == family && t.name == name) return t;
  }
  rs.tables.push_back(NfTable{family, name, {}});
  return rs.tables.back();
}

NfChain& ChainFor(NfTable& t, const std::string& name) {
  for (auto& c : t.chains) {
    if (c.name == name) return c;
  }
  t.chains.push_back(NfChain{name, std::nullopt, std::nullopt, 0});
  return t.chains.back();
}

}  // namespace

Result<NfRuleset> ParseNftJson(std::string_view text, std::string_view source) {
  const std::string src(source);
  // nlohmann parses and frees without recursion: deep nesting in broken output cannot
  // overflow the stack.
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    return Result<NfRuleset>::Error(src + ": " + e.what());
  }
  const nlohmann::json* items = Member(json, "nftables");
  if (items == nullptr || !items->is_array()) {
    return Result<NfRuleset>::Error(src + ": no \"nftables\" array");
  }
  NfRuleset rs;
  rs.source = "nft";
  for (const auto& item : *items) {
    if (const nlohmann::json* t = Member(item, "table")) {
      const std::string family = StrMember(*t, "family");
      const std::string name = StrMember(*t, "name");
      if (family.empty() || name.empty()) {
        return Result<NfRuleset>::Error(src + ": table without family or name");
      }
      TableFor(rs, family, name);
    } else if (const nlohmann::json* c = Member(item, "chain")) {
      const std::string family = StrMember(*c, "family");
      const std::string table = StrMember(*c, "table");
      const std::string name = StrMember(*c, "name");
      if (family.empty() || table.empty() || name.empty()) {
        return Result<NfRuleset>::Error(src + ": chain without family, table or name");
      }
      NfChain& chain = ChainFor(TableFor(rs, family, table), name);
      if (auto hook = StrMember(*c, "hook"); !hook.empty()) chain.hook = hook;
      if (auto policy = StrMember(*c, "policy"); !policy.empty()) chain.policy = policy;
    } else if (const nlohmann::json* r = Member(item, "rule")) {
      const std::string family = StrMember(*r, "family");
      const std::string table = StrMember(*r, "table");
      const std::string chain = StrMember(*r, "chain");
      if (family.empty() || table.empty() || chain.empty()) {
        return Result<NfRuleset>::Error(src + ": rule without family, table or chain");
      }
      ChainFor(TableFor(rs, family, table), chain).rules += 1;
    }
    // metainfo, set, map, element, flowtable, counter, ...: not counted.
  }
  return rs;
}

Result<NfRuleset> ParseIptablesSave(std::string_view text, std::string_view family,
                                    std::string_view source) {
  const std::string src(source);
  NfRuleset rs;
  rs.source = src;
  NfTable* current = nullptr;
  const auto lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    const std::string where = src + ": line " + std::to_string(i + 1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      if (current != nullptr)
        return Result<NfRuleset>::Error(where + ": table without COMMIT before it");
      const std::string name(Trim(line.substr(1)));
      if (name.empty()) return Result<NfRuleset>::Error(where + ": empty table name");
      current = &TableFor(rs, std::string(family), name);
      continue;
    }
    if (current == nullptr) {
      return Result<NfRuleset>::Error(where + ": '" + std::string(line.substr(0, 20)) +
                                      "' outside a table");
    }
    if (line == "COMMIT") {
      current = nullptr;
      continue;
    }
    if (line[0] == ':') {
      // ":INPUT ACCEPT [0:0]" (built-in chain with policy) or ":DOCKER - [0:0]" (user chain).
      const auto f = SplitWhitespace(line.substr(1));
      if (f.empty()) return Result<NfRuleset>::Error(where + ": empty chain declaration");
      NfChain& c = ChainFor(*current, std::string(f[0]));
      if (f.size() > 1 && f[1] != "-") {
        c.policy = std::string(f[1]);
        c.hook = std::string(f[0]);  // built-in chains are named after their hook
      }
      continue;
    }
    if (StartsWith(line, "-A ") || StartsWith(line, "-I ")) {
      const auto f = SplitWhitespace(line);
      if (f.size() < 2) return Result<NfRuleset>::Error(where + ": rule without chain");
      ChainFor(*current, std::string(f[1])).rules += 1;
      continue;
    }
    return Result<NfRuleset>::Error(where + ": unexpected '" + std::string(line.substr(0, 20)) +
                                    "'");
  }
  if (current != nullptr) {
    return Result<NfRuleset>::Error(src + ": table '" + current->name +
                                    "' has no COMMIT (truncated?)");
  }
  return rs;
}

int NetfilterState::total_rules() const {
  int n = 0;
  if (nft) {
    n += nft->rules();
  } else if (iptables_nft) {
    n += iptables_nft->rules();
  }
  if (iptables_legacy) n += iptables_legacy->rules();
  return n;
}

namespace {

bool NfTablesLoaded(const HostPaths& paths) {
  // Without module support (no /proc/modules) nothing can be autoloaded.
  if (::access((paths.proc + "/modules").c_str(), F_OK) != 0) return true;
  if (::access((paths.sys + "/module/nf_tables").c_str(), F_OK) == 0) return true;
  auto modules = ReadTextFile(paths.proc + "/modules");
  if (!modules) return false;
  for (auto line : SplitLines(*modules)) {
    if (StartsWith(line, "nf_tables ")) return true;
  }
  return false;
}

Result<NfRuleset> RunSave(CommandRunner& runner, const std::string& tool, std::string_view family) {
  auto out = runner.run({tool});
  if (!out) return Result<NfRuleset>::Error(out.error());
  if (out->exit_code != 0) {
    return Result<NfRuleset>::Error(tool + ": exit code " + std::to_string(out->exit_code));
  }
  return ParseIptablesSave(out->out, family, tool);
}

// ip + ip6 into one ruleset; ip6 failing alone (no IPv6) is not an error.
Result<NfRuleset> RunSavePair(CommandRunner& runner, const std::string& v4, const std::string& v6,
                              const std::string& name, bool want_v4, bool want_v6) {
  NfRuleset rs;
  rs.source = name;
  std::string errors;
  bool any = false;
  if (want_v4) {
    auto r4 = RunSave(runner, v4, "ip");
    if (r4) {
      any = true;
      for (auto& t : r4->tables) rs.tables.push_back(std::move(t));
    } else {
      errors += r4.error();
    }
  }
  if (want_v6) {
    auto r6 = RunSave(runner, v6, "ip6");
    if (r6) {
      any = true;
      for (auto& t : r6->tables) rs.tables.push_back(std::move(t));
    } else {
      errors += (errors.empty() ? "" : "; ") + r6.error();
    }
  }
  if (!any) return Result<NfRuleset>::Error(errors.empty() ? name + ": nothing to query" : errors);
  return rs;
}

}  // namespace

NetfilterState ReadNetfilter(const HostPaths& paths, CommandRunner& runner) {
  NetfilterState st;
  if (NfTablesLoaded(paths)) {
    auto out = runner.run({"nft", "-j", "list", "ruleset"});
    if (!out) {
      st.nft = Result<NfRuleset>::Error(out.error());
    } else if (out->exit_code != 0) {
      st.nft = Result<NfRuleset>::Error("nft -j list ruleset: exit code " +
                                        std::to_string(out->exit_code));
    } else {
      st.nft = ParseNftJson(out->out, "nft -j list ruleset");
    }
    st.iptables_nft =
        RunSavePair(runner, "iptables-nft-save", "ip6tables-nft-save", "iptables-nft", true, true);
  } else {
    st.nft = Result<NfRuleset>::Error("nf_tables module not loaded (not loading it to look)");
    st.iptables_nft =
        Result<NfRuleset>::Error("nf_tables module not loaded (not loading it to look)");
  }
  const bool v4 = ::access((paths.Net() + "/ip_tables_names").c_str(), F_OK) == 0;
  const bool v6 = ::access((paths.Net() + "/ip6_tables_names").c_str(), F_OK) == 0;
  if (v4 || v6) {
    st.iptables_legacy = RunSavePair(runner, "iptables-legacy-save", "ip6tables-legacy-save",
                                     "iptables-legacy", v4, v6);
  } else {
    st.iptables_legacy =
        Result<NfRuleset>::Error("legacy iptables not loaded (no ip_tables_names)");
  }
  return st;
}

}  // namespace tunescope::host
