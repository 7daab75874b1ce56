// SPDX-License-Identifier: GPL-2.0
// Prometheus text exposition (format 0.0.4) for node_exporter's textfile
// collector.
#include <fmt/format.h>

#include <array>
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
