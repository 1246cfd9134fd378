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
const nlohmann::json* member(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);  // end() when obj is not an object
  return it != obj.end() ? &*it : nullptr;
}

// A member's string, or "" when it is missing or not a string: nft leaves out what is unset.
std::string str_member(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* v = member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

NfTable& table_for(NfRuleset& rs, const std::string& family, const std::string& name) {
  for (auto& t : rs.tables) {
    if (t.family == family && t.name == name) return t;
  }
  rs.tables.push_back(NfTable{family, name, {}});
  return rs.tables.back();
}

NfChain& chain_for(NfTable& t, const std::string& name) {
  for (auto& c : t.chains) {
    if (c.name == name) return c;
  }
  t.chains.push_back(NfChain{name, std::nullopt, std::nullopt, 0});
  return t.chains.back();
}

}  // namespace

Result<NfRuleset> parse_nft_json(std::string_view text, std::string_view source) {
  const std::string src(source);
  // nlohmann parses and frees without recursion: deep nesting in broken output cannot
  // overflow the stack.
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    return fail<NfRuleset>(src + ": " + e.what());
  }
  const nlohmann::json* items = member(json, "nftables");
  if (items == nullptr || !items->is_array()) {
    return fail<NfRuleset>(src + ": no \"nftables\" array");
  }
  NfRuleset rs;
  rs.source = "nft";
  for (const auto& item : *items) {
    if (const nlohmann::json* t = member(item, "table")) {
      const std::string family = str_member(*t, "family");
      const std::string name = str_member(*t, "name");
      if (family.empty() || name.empty()) {
        return fail<NfRuleset>(src + ": table without family or name");
      }
      table_for(rs, family, name);
    } else if (const nlohmann::json* c = member(item, "chain")) {
      const std::string family = str_member(*c, "family");
      const std::string table = str_member(*c, "table");
      const std::string name = str_member(*c, "name");
      if (family.empty() || table.empty() || name.empty()) {
        return fail<NfRuleset>(src + ": chain without family, table or name");
      }
      NfChain& chain = chain_for(table_for(rs, family, table), name);
      if (auto hook = str_member(*c, "hook"); !hook.empty()) chain.hook = hook;
      if (auto policy = str_member(*c, "policy"); !policy.empty()) chain.policy = policy;
    } else if (const nlohmann::json* r = member(item, "rule")) {
      const std::string family = str_member(*r, "family");
      const std::string table = str_member(*r, "table");
      const std::string chain = str_member(*r, "chain");
      if (family.empty() || table.empty() || chain.empty()) {
        return fail<NfRuleset>(src + ": rule without family, table or chain");
      }
      chain_for(table_for(rs, family, table), chain).rules += 1;
    }
    // metainfo, set, map, element, flowtable, counter, ...: not counted.
  }
  return rs;
}

Result<NfRuleset> parse_iptables_save(std::string_view text, std::string_view family,
                                      std::string_view source) {
  const std::string src(source);
  NfRuleset rs;
  rs.source = src;
  NfTable* current = nullptr;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trim(lines[i]);
    const std::string where = src + ": line " + std::to_string(i + 1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      if (current != nullptr) return fail<NfRuleset>(where + ": table without COMMIT before it");
      const std::string name(trim(line.substr(1)));
      if (name.empty()) return fail<NfRuleset>(where + ": empty table name");
      current = &table_for(rs, std::string(family), name);
      continue;
    }
    if (current == nullptr) {
      return fail<NfRuleset>(where + ": '" + std::string(line.substr(0, 20)) + "' outside a table");
    }
    if (line == "COMMIT") {
      current = nullptr;
      continue;
    }
    if (line[0] == ':') {
      // ":INPUT ACCEPT [0:0]" (built-in chain with policy) or ":DOCKER - [0:0]" (user chain).
      const auto f = split_whitespace(line.substr(1));
      if (f.empty()) return fail<NfRuleset>(where + ": empty chain declaration");
      NfChain& c = chain_for(*current, std::string(f[0]));
      if (f.size() > 1 && f[1] != "-") {
        c.policy = std::string(f[1]);
        c.hook = std::string(f[0]);  // built-in chains are named after their hook
      }
      continue;
    }
    if (starts_with(line, "-A ") || starts_with(line, "-I ")) {
      const auto f = split_whitespace(line);
      if (f.size() < 2) return fail<NfRuleset>(where + ": rule without chain");
      chain_for(*current, std::string(f[1])).rules += 1;
      continue;
    }
    return fail<NfRuleset>(where + ": unexpected '" + std::string(line.substr(0, 20)) + "'");
  }
  if (current != nullptr) {
    return fail<NfRuleset>(src + ": table '" + current->name + "' has no COMMIT (truncated?)");
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

bool nf_tables_loaded(const HostPaths& paths) {
  // Without module support (no /proc/modules) nothing can be autoloaded.
  if (::access((paths.proc + "/modules").c_str(), F_OK) != 0) return true;
  if (::access((paths.sys + "/module/nf_tables").c_str(), F_OK) == 0) return true;
  auto modules = read_text_file(paths.proc + "/modules");
  if (!modules) return false;
  for (auto line : split_lines(*modules)) {
    if (starts_with(line, "nf_tables ")) return true;
  }
  return false;
}

Result<NfRuleset> run_save(CommandRunner& runner, const std::string& tool,
                           std::string_view family) {
  auto out = runner.run({tool});
  if (!out) return fail<NfRuleset>(out.error());
  if (out->exit_code != 0) {
    return fail<NfRuleset>(tool + ": exit code " + std::to_string(out->exit_code));
  }
  return parse_iptables_save(out->out, family, tool);
}

// ip + ip6 into one ruleset; ip6 failing alone (no IPv6) is not an error.
Result<NfRuleset> run_save_pair(CommandRunner& runner, const std::string& v4, const std::string& v6,
                                const std::string& name, bool want_v4, bool want_v6) {
  NfRuleset rs;
  rs.source = name;
  std::string errors;
  bool any = false;
  if (want_v4) {
    auto r4 = run_save(runner, v4, "ip");
    if (r4) {
      any = true;
      for (auto& t : r4->tables) rs.tables.push_back(std::move(t));
    } else {
      errors += r4.error();
    }
  }
  if (want_v6) {
    auto r6 = run_save(runner, v6, "ip6");
    if (r6) {
      any = true;
      for (auto& t : r6->tables) rs.tables.push_back(std::move(t));
    } else {
      errors += (errors.empty() ? "" : "; ") + r6.error();
    }
  }
  if (!any) return fail<NfRuleset>(errors.empty() ? name + ": nothing to query" : errors);
  return rs;
}

}  // namespace

NetfilterState read_netfilter(const HostPaths& paths, CommandRunner& runner) {
  NetfilterState st;
  if (nf_tables_loaded(paths)) {
    auto out = runner.run({"nft", "-j", "list", "ruleset"});
    if (!out) {
      st.nft = fail<NfRuleset>(out.error());
    } else if (out->exit_code != 0) {
      st.nft = fail<NfRuleset>("nft -j list ruleset: exit code " + std::to_string(out->exit_code));
    } else {
      st.nft = parse_nft_json(out->out, "nft -j list ruleset");
    }
    st.iptables_nft = run_save_pair(runner, "iptables-nft-save", "ip6tables-nft-save",
                                    "iptables-nft", true, true);
  } else {
    st.nft = fail<NfRuleset>("nf_tables module not loaded (not loading it to look)");
    st.iptables_nft = fail<NfRuleset>("nf_tables module not loaded (not loading it to look)");
  }
  const bool v4 = ::access((paths.proc + "/net/ip_tables_names").c_str(), F_OK) == 0;
  const bool v6 = ::access((paths.proc + "/net/ip6_tables_names").c_str(), F_OK) == 0;
  if (v4 || v6) {
    st.iptables_legacy = run_save_pair(runner, "iptables-legacy-save", "ip6tables-legacy-save",
                                       "iptables-legacy", v4, v6);
  } else {
    st.iptables_legacy = fail<NfRuleset>("legacy iptables not loaded (no ip_tables_names)");
  }
  return st;
}

}  // namespace tunescope::host
