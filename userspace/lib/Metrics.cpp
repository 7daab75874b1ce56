// SPDX-License-Identifier: GPL-2.0
// Prometheus text exposition (format 0.0.4) for node_exporter's textfile
// collector.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "rootcache/BootConf.h"
#include "rootcache/Commands.h"

namespace rootcache {

namespace {

constexpr std::string_view kTextfileName = "rootcache.prom";

struct Family {
  std::string name;
  std::string type;  // gauge or counter
  std::string help;
};

std::string escapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void family(std::string& out, const Family& f) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
}

// The metric of each counter the tool knows; skipped_* share one family,
// by reason. Help texts come from kKnownStats.
struct StatMetric {
  std::string_view stat;
  std::string_view metric;
  std::string_view type;
};
constexpr std::array<StatMetric, 9> kStatMetrics = {{
    {"redirected_folios", "rootcache_redirected_folios_total", "counter"},
    {"redirected_metadata_folios", "rootcache_redirected_metadata_folios_total", "counter"},
    {"redirected_bytes", "rootcache_redirected_bytes_total", "counter"},
    {"redirected_inode_writeback", "rootcache_redirected_inode_writeback_total", "counter"},
    {"redirected_collapses", "rootcache_redirected_collapses_total", "counter"},
    {"redirect_failed", "rootcache_redirect_failed_total", "counter"},
    {"target_fallbacks", "rootcache_target_fallbacks_total", "counter"},
    {"probe_misses", "rootcache_probe_misses_total", "counter"},
    {"in_flight", "rootcache_in_flight", "gauge"},
}};
constexpr std::string_view kSkippedPrefix = "skipped_";

// Every counter in `stats` (the module's stats/ directory), known or not.
void renderStats(std::string& out, const nlohmann::json& stats) {
  std::set<std::string> done;
  for (const auto& sm : kStatMetrics) {
    std::string key(sm.stat);
    if (!stats.contains(key)) {
      continue;
    }
    const StatInfo* info = knownStat(sm.stat);
    family(out, {std::string(sm.metric), std::string(sm.type), std::string(info != nullptr ? info->help : "")});
    out += fmt::format("{} {}\n", sm.metric, stats[key].get<std::uint64_t>());
    done.insert(key);
  }
  bool anySkipped = false;
  for (const auto& [key, value] : stats.items()) {
    if (key.rfind(kSkippedPrefix, 0) != 0 || key.size() == kSkippedPrefix.size()) {
      continue;
    }
    if (!anySkipped) {
      family(out, {"rootcache_skipped_folios_total", "counter",
                   "Folios seen while enabled but charged normally, by reason."});
      anySkipped = true;
    }
    out += fmt::format("rootcache_skipped_folios_total{{reason=\"{}\"}} {}\n",
                       escapeLabel(key.substr(kSkippedPrefix.size())), value.get<std::uint64_t>());
    done.insert(key);
  }
  bool anyOther = false;
  for (const auto& [key, value] : stats.items()) {
    if (done.contains(key)) {
      continue;
    }
    if (!anyOther) {
      family(out, {"rootcache_stat", "untyped",
                   "Counters of the module's stats/ directory this rootcachectl does not know, by file name."});
      anyOther = true;
    }
    out += fmt::format("rootcache_stat{{name=\"{}\"}} {}\n", escapeLabel(key), value.get<std::uint64_t>());
  }
}

}  // namespace

std::string renderPrometheus(const nlohmann::json& m) {
  std::string out;
  family(out, {"rootcache_module_loaded", "gauge", "Whether the rootcache module is loaded (1) or not (0)."});
  out += fmt::format("rootcache_module_loaded {}\n", m.value("loaded", false) ? 1 : 0);
  if (m.value("loaded", false)) {
    family(out, {"rootcache_info", "gauge", "Version and hook of the loaded rootcache module."});
    out += fmt::format("rootcache_info{{version=\"{}\",hook=\"{}\"}} 1\n", escapeLabel(m.value("version", "")),
                       escapeLabel(m.value("hook", "")));
    family(out, {"rootcache_enabled", "gauge", "Whether new page cache is charged to the root memory cgroup."});
    out += fmt::format("rootcache_enabled {}\n", m.value("enabled", false) ? 1 : 0);
    if (m.contains("metadata") && m["metadata"].is_boolean()) {
      family(out, {"rootcache_metadata", "gauge",
                   "Whether filesystem metadata cache is charged to the root memory cgroup too."});
      out += fmt::format("rootcache_metadata {}\n", m["metadata"].get<bool>() ? 1 : 0);
    }
    if (m.contains("hook_state") && m["hook_state"].is_string()) {
      // A state set: 1 for the current state, 0 for the others.
      family(out,
             {"rootcache_hook_state", "gauge",
              "Whether the hook works: ok, partial (an optional part missing), disarmed (kprobes or ftrace stopped) "
              "or failed (switched itself off)."});
      const auto current = m["hook_state"].get<std::string>();
      for (HookState hs : {HookState::kOk, HookState::kPartial, HookState::kDisarmed, HookState::kFailed}) {
        out += fmt::format("rootcache_hook_state{{state=\"{}\"}} {}\n", toString(hs), current == toString(hs) ? 1 : 0);
      }
    }
    if (m.contains("hook_mechanism") && m["hook_mechanism"].is_string()) {
      // Info style: one series, the mechanism in its label.
      family(out, {"rootcache_hook_mechanism", "gauge",
                   "How the insertion function is hooked: ftrace (call wrapper) or kretprobe (fallback); always 1."});
      out += fmt::format("rootcache_hook_mechanism{{mechanism=\"{}\"}} 1\n",
                         escapeLabel(m["hook_mechanism"].get<std::string>()));
    }
    const auto& s = m.contains("stats") ? m["stats"] : nlohmann::json::object();
    renderStats(out, s);
    if (m.contains("target") && m["target"].is_object()) {
      const auto& tg = m["target"];
      family(out, {"rootcache_target_id", "gauge",
                   "Cgroup ID of the target (cache pool) redirected cache is charged to; 0: root."});
      out += fmt::format("rootcache_target_id {}\n", tg.value("id", std::uint64_t{0}));
      if (tg.contains("exists") && tg["exists"].is_boolean()) {
        family(out, {"rootcache_target_removed", "gauge",
                     "Whether the target cgroup was removed (1: redirected cache goes to root)."});
        out += fmt::format("rootcache_target_removed {}\n", tg["exists"].get<bool>() ? 0 : 1);
      }
    }
    if (m.contains("scope_entries") && !m["scope_entries"].is_null()) {
      family(out, {"rootcache_scope_entries", "gauge", "Cgroups in the scope (0: every cgroup is redirected)."});
      out += fmt::format("rootcache_scope_entries {}\n", m["scope_entries"].get<std::uint64_t>());
    }
  }
  if (m.contains("boot_enabled") && !m["boot_enabled"].is_null()) {
    family(out, {"rootcache_boot_enabled", "gauge",
                 "Whether /etc/rootcache/rootcache.conf enables rootcache at boot (1) or not (0)."});
    out += fmt::format("rootcache_boot_enabled {}\n", m["boot_enabled"].get<bool>() ? 1 : 0);
  }
  if (m.contains("dying_memcgs") && !m["dying_memcgs"].is_null()) {
    family(out, {"rootcache_dying_memcgs", "gauge", "Removed memory cgroups still held by the kernel."});
    out += fmt::format("rootcache_dying_memcgs {}\n", m["dying_memcgs"].get<std::uint64_t>());
  }
  out += renderScrapeError(false);
  return out;
}

std::string renderScrapeError(bool failed) {
  std::string out;
  family(out, {"rootcache_scrape_error", "gauge",
               "Whether rootcachectl failed to collect the rootcache metrics (1: the others are absent)."});
  out += fmt::format("rootcache_scrape_error {}\n", failed ? 1 : 0);
  return out;
}

std::vector<std::string> checkPrometheusText(std::string_view text) {
  std::vector<std::string> problems;
  std::set<std::string> typed;
  std::set<std::string> helped;
  std::set<std::string> sampled;  // families with samples seen
  std::set<std::string> series;   // name+labels, must be unique
  std::string currentFamily;
  auto validName = [](std::string_view n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_' || n[0] == ':')) {
      return false;
    }
    return std::all_of(n.begin(), n.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; });
  };
  int lineNo = 0;
  if (!text.empty() && text.back() != '\n') {
    problems.emplace_back("text does not end with a newline");
  }
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto bad = [&](const std::string& what) { problems.push_back(fmt::format("line {}: {}", lineNo, what)); };
    if (line.empty()) {
      continue;
    }
    if (line.front() == '#') {
      auto words = splitWords(line);
      if (words.size() >= 3 && (words[1] == "HELP" || words[1] == "TYPE")) {
        const std::string& name = words[2];
        if (!validName(name)) {
          bad("bad metric name " + name);
        }
        if (words[1] == "TYPE") {
          if (words.size() != 4 || (words[3] != "gauge" && words[3] != "counter" && words[3] != "untyped" &&
                                    words[3] != "histogram" && words[3] != "summary")) {
            bad("bad TYPE line");
          }
          if (!typed.insert(name).second) {
            bad("second TYPE for " + name);
          }
          if (sampled.contains(name)) {
            bad("TYPE after samples of " + name);
          }
        } else if (!helped.insert(name).second) {
          bad("second HELP for " + name);
        }
        if (name != currentFamily && sampled.contains(name)) {
          bad("family " + name + " is not contiguous");
        }
        currentFamily = name;
      }
      continue;
    }
    // sample: name[{labels}] value [timestamp]
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') {
      ++i;
    }
    std::string name(line.substr(0, i));
    if (!validName(name)) {
      bad("bad metric name '" + name + "'");
      continue;
    }
    std::string labels;
    if (i < line.size() && line[i] == '{') {
      size_t close = std::string_view::npos;
      bool inQuote = false;
      for (size_t k = i + 1; k < line.size(); ++k) {
        if (inQuote && line[k] == '\\') {
          ++k;
          continue;
        }
        if (line[k] == '"') {
          inQuote = !inQuote;
        } else if (!inQuote && line[k] == '}') {
          close = k;
          break;
        }
      }
      if (close == std::string_view::npos) {
        bad("unterminated label set");
        continue;
      }
      labels = std::string(line.substr(i, close - i + 1));
      // label pairs: name="value",...
      std::string_view body = line.substr(i + 1, close - i - 1);
      while (!body.empty()) {
        size_t eq = body.find('=');
        if (eq == std::string_view::npos || !validName(body.substr(0, eq)) || eq + 1 >= body.size() ||
            body[eq + 1] != '"') {
          bad("bad label in " + labels);
          break;
        }
        size_t k = eq + 2;
        while (k < body.size() && body[k] != '"') {
          k += body[k] == '\\' ? 2 : 1;
        }
        if (k >= body.size()) {
          bad("unterminated label value in " + labels);
          break;
        }
        body.remove_prefix(k + 1);
        if (!body.empty()) {
          if (body.front() != ',') {
            bad("labels not separated by ',' in " + labels);
            break;
          }
          body.remove_prefix(1);
        }
      }
      i = close + 1;
    }
    if (i >= line.size() || line[i] != ' ') {
      bad("no value");
      continue;
    }
    auto rest = splitWords(line.substr(i + 1));
    if (rest.empty() || rest.size() > 2) {
      bad("bad value field");
      continue;
    }
    const std::string& v = rest[0];
    bool numeric = v == "NaN" || v == "+Inf" || v == "-Inf";
    if (!numeric) {
      char* end = nullptr;
      (void)std::strtod(v.c_str(), &end);
      numeric = end != nullptr && *end == '\0' && !v.empty();
    }
    if (!numeric) {
      bad("value '" + v + "' is not a number");
    }
    if (!typed.contains(name)) {
      bad("sample of " + name + " without a TYPE line");
    }
    if (name != currentFamily) {
      bad("sample of " + name + " outside its family");
    }
    sampled.insert(name);
    std::string key = name;
    key += labels;
    if (!series.insert(key).second) {
      bad("duplicate series " + key);
    }
    if (name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0 && !v.empty() && v[0] == '-') {
      bad("negative counter " + name);
    }
  }
  return problems;
}

namespace {

// A collection failure: in the textfile, replace the last numbers with a
// scrape error, so the collector does not keep serving stale values.
Output collectionFailed(const Error& e, const std::optional<std::string>& textfile) {
  Output out = errorOutput(e);
  if (textfile) {
    const std::string& path = *textfile;
    if (Status s = writeFileAtomic(path, renderScrapeError(true)); !s) {
      out.errors += errorLine(s.error());
    } else {
      out.json["textfile"] = path;
      out.text += "wrote " + path + " with rootcache_scrape_error 1\n";
    }
  }
  return out;
}

}  // namespace

Result<std::string> textfilePath(const std::string& arg) {
  if (isDirectory(arg)) {
    return joinPath(arg, kTextfileName);
  }
  constexpr std::string_view kExt = ".prom";
  const size_t slash = arg.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : arg.substr(0, slash);
  const std::string base = slash == std::string::npos ? arg : arg.substr(slash + 1);
  if (base.size() > kExt.size() && base.compare(base.size() - kExt.size(), kExt.size(), kExt) == 0 &&
      isDirectory(dir)) {
    return arg;
  }
  return usageError(fmt::format(
      "--textfile {}: no such directory (give the textfile collector's directory, or a file in it ending in .prom)",
      arg));
}

Output runMetrics(const Roots& roots, const std::optional<std::string>& textfileDir) {
  std::optional<std::string> textfile;
  if (textfileDir) {
    auto path = textfilePath(*textfileDir);
    if (!path) {
      return errorOutput(path.error());
    }
    textfile = *path;
  }
  Output out;
  nlohmann::json m;
  ModuleClient mod(roots);
  m["loaded"] = mod.loaded();
  if (mod.loaded()) {
    auto st = mod.read();
    if (!st) {
      return collectionFailed(st.error(), textfile);
    }
    m["version"] = st->version;
    m["hook"] = st->hook;
    m["enabled"] = st->enabled;
    m["metadata"] = st->metadata ? nlohmann::json(*st->metadata) : nlohmann::json(nullptr);
    m["hook_mechanism"] =
        st->hookMechanism ? nlohmann::json(std::string(toString(*st->hookMechanism))) : nlohmann::json(nullptr);
    m["hook_state"] = st->hookState ? nlohmann::json(std::string(toString(*st->hookState))) : nlohmann::json(nullptr);
    m["stats"] = st->stats;
    m["scope_entries"] = st->scope ? nlohmann::json(st->scope->size()) : nlohmann::json(nullptr);
    if (st->target) {
      m["target"] = {{"id", *st->target}};
      if (auto h = findMemoryHierarchy(roots)) {
        if (auto p = targetPath(*h, *st->target)) {
          m["target"]["exists"] = p->has_value();
        }
      }
    }
  }
  // What the boot configuration asks for, so that an alert can compare it
  // with rootcache_enabled; absent when the file cannot be read.
  m["boot_enabled"] = nullptr;
  if (auto boot = readBootState(roots); boot && boot->exists) {
    m["boot_enabled"] = boot->enabled.value_or(true);
  }
  m["dying_memcgs"] = nullptr;
  if (auto h = findMemoryHierarchy(roots)) {
    if (auto d = dyingMemcgs(roots, *h)) {
      m["dying_memcgs"] = *d;
    }
  }
  std::string text = renderPrometheus(m);
  if (auto problems = checkPrometheusText(text); !problems.empty()) {
    return collectionFailed(checkError("internal error, bad exposition: " + problems.front()), textfile);
  }
  out.json = m;
  if (textfile) {
    const std::string& path = *textfile;
    if (Status s = writeFileAtomic(path, text); !s) {
      return errorOutput(s.error());
    }
    out.json["textfile"] = path;
    out.text = "wrote " + path + "\n";
  } else {
    out.text = text;
  }
  return out;
}

}  // namespace rootcache
