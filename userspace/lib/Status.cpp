// SPDX-License-Identifier: GPL-2.0
#include <fmt/format.h>
#include <sys/stat.h>

#include "rootcache/BootConf.h"
#include "rootcache/Commands.h"

namespace rootcache {

namespace {

constexpr std::string_view kLoadHint =
    "module not loaded; load it with: modprobe rootcache enabled=1 (with the packages: systemctl start rootcache, "
    "which also applies /etc/rootcache/rootcache.conf)";

// probe_misses as the last status saw it (<run>/rootcache/status.state,
// "probe_misses N"); nullopt when there is none.
std::optional<std::uint64_t> lastProbeMisses(const Roots& roots) {
  auto text = readFile(joinPath(roots.run, files::kStatusState));
  if (!text) {
    return std::nullopt;
  }
  auto kv = parseKeyValues(*text);
  if (auto it = kv.find("probe_misses"); it != kv.end()) {
    return it->second;
  }
  return std::nullopt;
}

// Best effort: without root (or /run) the next status judges the total.
void saveProbeMisses(const Roots& roots, std::uint64_t misses) {
  std::string path = joinPath(roots.run, files::kStatusState);
  std::string dir = path.substr(0, path.rfind('/'));
  if (!isDirectory(dir) && ::mkdir(dir.c_str(), 0755) != 0) {
    return;
  }
  (void)writeFileAtomic(path, fmt::format("probe_misses {}\n", misses));
}

// What to do about new probe misses. Only the insertion kretprobe is sized
// by maxactive (collapse_file's takes at most 16): with the ftrace wrapper the
// insertion hook cannot miss, and the misses are the other probes'. An older
// module (no hook_mechanism) always uses the kretprobe.
std::string probeMissAdvice(std::optional<HookMechanism> mech) {
  if (mech == HookMechanism::kFtrace) {
    return "the insertion hook (hook mechanism ftrace) cannot miss: these are misses of the collapse_file or "
           "inode writeback probes, which raising maxactive does not help; the counter restarts at 0 when the "
           "module is reloaded";
  }
  return "raise the maxactive module parameter: rmmod rootcache; modprobe rootcache maxactive=N; the counter "
         "restarts at 0 when the module is reloaded";
}

// What the next boot does, as the text after "next boot:".
std::string describeBoot(const Result<BootState>& boot) {
  if (!boot) {
    return "unknown (" + boot.error().describe() + ")";
  }
  if (!boot->exists) {
    return fmt::format("enabled by rootcache.service if installed ({} absent: default enabled=1)",
                       escapeName(boot->path));
  }
  // Without enabled=: rootcache-apply's default is 1.
  return fmt::format("{} ({}{})", boot->enabled.value_or(true) ? "enabled" : "disabled", escapeName(boot->path),
                     boot->enabled ? "" : ": no enabled=, default 1");
}

nlohmann::json bootJson(const Result<BootState>& boot, const std::string& path) {
  if (!boot) {
    return {{"file", path}, {"enabled", nullptr}, {"error", boot.error().describe()}};
  }
  return {{"file", boot->path}, {"exists", boot->exists}, {"enabled", boot->enabled.value_or(true)}};
}

template <typename T>
nlohmann::json orNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json moduleJson(const StatusFacts& f, const StatusDecision& d) {
  nlohmann::json jm;
  jm["loaded"] = f.loaded;
  if (!f.loaded || !f.module) {
    return jm;
  }
  const ModuleState& st = *f.module;
  jm["version"] = st.version;
  jm["enabled"] = st.enabled;
  jm["metadata"] = orNull(st.metadata);
  jm["hook"] = st.hook;
  jm["hook_mechanism"] =
      st.hookMechanism ? nlohmann::json(std::string(toString(*st.hookMechanism))) : nlohmann::json(nullptr);
  jm["scope"] = orNull(st.scope);
  if (st.target) {
    jm["target"] = {
        {"id", *st.target}, {"path", orNull(f.targetPath)}, {"exists", *st.target == 0 || f.targetPath.has_value()}};
  } else {
    jm["target"] = nullptr;
  }
  jm["hook_state"] = st.hookState ? nlohmann::json(std::string(toString(*st.hookState))) : nlohmann::json(nullptr);
  jm["stats"] = st.stats;
  // Missing optional parts: said with their cost, but the insertion hook works.
  jm["hook_missing"] = nlohmann::json::array();
  for (const auto& part : st.hookMissing) {
    jm["hook_missing"].push_back({{"function", part}, {"cost", explainHookMissing(part)}});
  }
  if (d.newProbeMisses) {
    jm["probe_misses_new"] = {{"count", *d.newProbeMisses}, {"since", d.probeMissesSince}};
  }
  return jm;
}

std::string moduleText(const StatusFacts& f) {
  std::string t;
  if (!f.loaded || !f.module) {
    return t;
  }
  const ModuleState& st = *f.module;
  t += fmt::format("{:<16}{}\n", "version:", st.version);
  t += fmt::format("{:<16}{}\n", "enabled:", st.enabled ? "yes" : "no");
  if (st.metadata) {
    t += fmt::format("{:<16}{}\n", "metadata:", *st.metadata ? "yes (filesystem metadata cache too)" : "no");
  }
  t += fmt::format("{:<16}{}\n", "hook:", st.hook);
  t += fmt::format("{:<16}{}\n", "hook mechanism:",
                   st.hookMechanism ? toString(*st.hookMechanism) : "unknown (module without hook_mechanism)");
  t += fmt::format("{:<16}{}\n",
                   "hook state:", st.hookState ? toString(*st.hookState) : "unknown (module without hook_state)");
  for (const auto& part : st.hookMissing) {
    t += fmt::format("{:<16}{}\n", "missing:", explainHookMissing(part));
  }
  if (!st.scope) {
    t += fmt::format("{:<16}{}\n", "scope:", "unsupported by this module");
  } else if (st.scope->empty()) {
    t += fmt::format("{:<16}{}\n", "scope:", "all cgroups (empty scope)");
  } else {
    t += fmt::format("{:<16}{} cgroup(s): {}\n", "scope:", st.scope->size(), fmt::join(*st.scope, " "));
  }
  if (st.target) {
    t += fmt::format("{:<16}{}\n", "target:", describeTarget(*st.target, f.targetPath));
  }
  for (const auto& [k, v] : st.stats) {
    t += fmt::format("  {:<29}{}{}\n", k + ":", v, k == "redirected_bytes" ? " (" + humanBytes(v) + ")" : "");
  }
  return t;
}

}  // namespace

StatusFacts collectStatus(const Roots& roots) {
  StatusFacts f;
  if (auto release = readFile(joinPath(roots.proc, files::kOsRelease))) {
    f.kernel = std::string(trim(*release));
  }
  f.mode = detectMode(roots);
  f.hierarchy = findMemoryHierarchy(roots);
  if (f.hierarchy) {
    f.dyingMemcgs = dyingMemcgs(roots, *f.hierarchy);
  }
  ModuleClient mod(roots);
  f.loaded = mod.loaded();
  if (f.loaded) {
    f.module = mod.read();
  }
  if (f.module && f.module->target && f.hierarchy) {
    if (auto p = targetPath(*f.hierarchy, *f.module->target); p && *p) {
      f.targetPath = **p;
    }
  }
  f.lastProbeMisses = lastProbeMisses(roots);
  f.bootFile = bootConfPath(roots);
  f.boot = readBootState(roots);
  return f;
}

StatusDecision decideStatus(const StatusFacts& f) {
  StatusDecision d;
  auto problem = [&d](std::string what, Exit e) {
    d.problems.push_back(std::move(what));
    if (static_cast<int>(e) > static_cast<int>(d.exit)) {
      d.exit = e;
    }
  };

  if (!f.hierarchy) {
    problem(f.hierarchy.error().describe(), Exit::kEnvironment);
  } else if (!f.dyingMemcgs) {
    problem("cannot count dying memcgs: " + f.dyingMemcgs.error().describe(), Exit::kCheckFailed);
  }

  if (!f.loaded) {
    problem(std::string(kLoadHint), Exit::kEnvironment);
  } else if (!f.module) {
    problem(f.module.error().describe(), f.module.error().exit);
  } else {
    const ModuleState& st = *f.module;
    // A target ID no live cgroup has: removed (known only with a hierarchy).
    if (st.target && *st.target != 0 && f.hierarchy && !f.targetPath) {
      problem(fmt::format("target cgroup {} was removed: redirected cache goes to root (stats/target_fallbacks); set "
                          "a new target (rootcachectl target set CGROUP) or clear it",
                          *st.target),
              Exit::kCheckFailed);
    }
    if (st.hookState && *st.hookState != HookState::kOk && *st.hookState != HookState::kPartial) {
      problem(explainHookState(*st.hookState), Exit::kCheckFailed);
    }
    // With hook_state "failed" the reason above already says it all.
    if (auto it = st.stats.find("redirect_failed");
        it != st.stats.end() && it->second > 0 && st.hookState != HookState::kFailed) {
      problem(fmt::format("{} redirected folio(s) found charged to another cgroup (stats/redirect_failed): the "
                          "kernel's charge path does not honour the hook; the module switches itself off at 8 (see "
                          "dmesg)",
                          it->second),
              Exit::kCheckFailed);
    }
    if (auto it = st.stats.find("probe_misses"); it != st.stats.end()) {
      // Judge the misses since the last status, not the total since load:
      // one old burst must not keep the node degraded for good. A smaller
      // value than last time means the module was reloaded.
      const std::uint64_t total = it->second;
      const bool sinceLast = f.lastProbeMisses && *f.lastProbeMisses <= total;
      const std::uint64_t fresh = sinceLast ? total - *f.lastProbeMisses : total;
      d.newProbeMisses = fresh;
      d.probeMissesSince = sinceLast ? "the last status" : "the module was loaded";
      if (fresh > 0) {
        problem(fmt::format("{} probe misses since {}: some page cache was charged normally ({})", fresh,
                            d.probeMissesSince, probeMissAdvice(st.hookMechanism)),
                Exit::kCheckFailed);
      } else if (total > 0) {
        d.note = fmt::format("{} probe misses in total, none since the last status", total);
      }
    }
  }

  if (!f.boot) {
    problem("boot configuration: " + f.boot.error().describe(), Exit::kCheckFailed);
  }

  if (!d.problems.empty()) {
    d.verdict = fmt::format("{}: {}", d.exit == Exit::kEnvironment ? "error" : "degraded", fmt::join(d.problems, "; "));
    return d;
  }
  // No problem: the module is loaded and was read.
  const ModuleState& st = *f.module;
  const std::string where = st.target && *st.target != 0 ? "the target cgroup" : "root";
  if (!st.enabled) {
    d.verdict = "ok: loaded, disabled (page cache is charged normally)";
  } else if (st.scope && !st.scope->empty()) {
    d.verdict = fmt::format("ok: redirecting page cache of {} scoped cgroup subtree(s) to {}", st.scope->size(), where);
  } else {
    d.verdict = fmt::format("ok: redirecting page cache of all cgroups to {}", where);
  }
  return d;
}

Output renderStatus(const StatusFacts& f, const StatusDecision& d) {
  Output out;
  auto& j = out.json;
  j["kernel"] = f.kernel;
  j["cgroup_mode"] = std::string(toString(f.mode));
  j["memory_hierarchy"] = f.hierarchy ? nlohmann::json(f.hierarchy->root) : nlohmann::json(nullptr);
  j["dying_memcgs"] = f.hierarchy && f.dyingMemcgs ? nlohmann::json(*f.dyingMemcgs) : nlohmann::json(nullptr);
  j["module"] = moduleJson(f, d);
  j["boot"] = bootJson(f.boot, f.bootFile);
  j["health"] = {{"ok", d.problems.empty()}, {"verdict", d.verdict}, {"problems", d.problems}};

  std::string& t = out.text;
  t += fmt::format("{:<16}{}\n", "module:", f.loaded ? "loaded" : "not loaded");
  t += moduleText(f);
  t += fmt::format("{:<16}{}\n", "next boot:", describeBoot(f.boot));
  t += fmt::format("{:<16}{}\n", "kernel:", f.kernel);
  t += fmt::format("{:<16}{}\n", "cgroup mode:", toString(f.mode));
  if (f.hierarchy) {
    t += fmt::format("{:<16}{}\n", "memory root:", escapeName(f.hierarchy->root));
  }
  t += fmt::format("{:<16}{}\n", "dying memcgs:", j["dying_memcgs"].is_null() ? "unknown" : j["dying_memcgs"].dump());
  t += fmt::format("{:<16}{}\n", "health:", d.verdict);
  if (!d.note.empty()) {
    t += fmt::format("{:<16}{}\n", "note:", d.note);
  }
  out.exit = d.exit;
  return out;
}

Output runStatus(const Roots& roots) {
  const StatusFacts facts = collectStatus(roots);
  if (facts.module) {
    if (auto it = facts.module->stats.find("probe_misses"); it != facts.module->stats.end()) {
      saveProbeMisses(roots, it->second);
    }
  }
  return renderStatus(facts, decideStatus(facts));
}

}  // namespace rootcache
