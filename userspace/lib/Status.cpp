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

// What the next boot does, from /etc/rootcache/rootcache.conf: JSON "boot"
// and the text after "next boot:"; an Error when rootcache-apply could not
// read the file either (the boot would fail).
Result<std::string> describeBoot(const Roots& roots, nlohmann::json& j) {
  auto st = readBootState(roots);
  if (!st) {
    j = {{"file", bootConfPath(roots)}, {"enabled", nullptr}, {"error", st.error().describe()}};
    return st.error();
  }
  // Absent, or without enabled=: rootcache-apply's default is 1.
  const bool enabled = st->enabled.value_or(true);
  j = {{"file", st->path}, {"exists", st->exists}, {"enabled", enabled}};
  if (!st->exists) {
    return fmt::format("enabled by rootcache.service if installed ({} absent: default enabled=1)",
                       escapeName(st->path));
  }
  return fmt::format("{} ({}{})", enabled ? "enabled" : "disabled", escapeName(st->path),
                     st->enabled ? "" : ": no enabled=, default 1");
}

}  // namespace

Output runStatus(const Roots& roots) {
  Output out;
  auto& j = out.json;
  ModuleClient mod(roots);

  auto release = readFile(joinPath(roots.proc, files::kOsRelease));
  j["kernel"] = release ? std::string(trim(*release)) : std::string("unknown");
  CgroupMode mode = detectMode(roots);
  j["cgroup_mode"] = std::string(toString(mode));

  std::vector<std::string> problems;  // each makes the verdict non-ok
  Exit exit = Exit::kOk;
  auto worsen = [&exit](Exit e) {
    if (static_cast<int>(e) > static_cast<int>(exit)) {
      exit = e;
    }
  };

  auto hier = findMemoryHierarchy(roots);
  if (hier) {
    j["memory_hierarchy"] = hier->root;
    auto dying = dyingMemcgs(roots, *hier);
    if (dying) {
      j["dying_memcgs"] = *dying;
    } else {
      j["dying_memcgs"] = nullptr;
      problems.push_back("cannot count dying memcgs: " + dying.error().describe());
      worsen(Exit::kCheckFailed);
    }
  } else {
    j["memory_hierarchy"] = nullptr;
    j["dying_memcgs"] = nullptr;
    problems.push_back(hier.error().describe());
    worsen(Exit::kEnvironment);
  }

  auto& jm = j["module"];
  jm["loaded"] = mod.loaded();
  std::optional<ModuleState> st;
  std::string probeNote;   // old probe misses: said, but healthy
  std::string targetText;  // empty: module without a target file
  if (!mod.loaded()) {
    problems.emplace_back(std::string(kLoadHint));
    worsen(Exit::kEnvironment);
  } else if (auto r = mod.read(); !r) {
    problems.push_back(r.error().describe());
    worsen(r.error().exit);
  } else {
    st = *r;
    jm["version"] = st->version;
    jm["enabled"] = st->enabled;
    jm["metadata"] = st->metadata ? nlohmann::json(*st->metadata) : nlohmann::json(nullptr);
    jm["hook"] = st->hook;
    jm["hook_mechanism"] =
        st->hookMechanism ? nlohmann::json(std::string(toString(*st->hookMechanism))) : nlohmann::json(nullptr);
    if (st->scope) {
      jm["scope"] = *st->scope;
    } else {
      jm["scope"] = nullptr;
    }
    std::optional<std::string> targetDisplay;
    if (st->target) {
      jm["target"] = {{"id", *st->target}, {"path", nullptr}, {"exists", *st->target == 0}};
      if (hier) {
        if (auto p = targetPath(*hier, *st->target); p && *p) {
          targetDisplay = **p;
          jm["target"]["path"] = **p;
          jm["target"]["exists"] = true;
        }
      }
      if (*st->target != 0 && hier && !targetDisplay) {
        problems.push_back(fmt::format(
            "target cgroup {} was removed: redirected cache goes to root (stats/target_fallbacks); set a new target "
            "(rootcachectl target set CGROUP) or clear it",
            *st->target));
        worsen(Exit::kCheckFailed);
      }
      targetText = describeTarget(*st->target, targetDisplay);
    } else {
      jm["target"] = nullptr;
    }
    jm["hook_state"] = st->hookState ? nlohmann::json(std::string(toString(*st->hookState))) : nlohmann::json(nullptr);
    jm["stats"] = st->stats;
    // Missing optional parts: said with their cost, but the insertion hook works.
    jm["hook_missing"] = nlohmann::json::array();
    for (const auto& part : st->hookMissing) {
      jm["hook_missing"].push_back({{"function", part}, {"cost", explainHookMissing(part)}});
    }
    if (st->hookState && *st->hookState != HookState::kOk && *st->hookState != HookState::kPartial) {
      problems.push_back(explainHookState(*st->hookState));
      worsen(Exit::kCheckFailed);
    }
    // With hook_state "failed" the reason above already says it all.
    if (auto it = st->stats.find("redirect_failed");
        it != st->stats.end() && it->second > 0 && st->hookState != HookState::kFailed) {
      problems.push_back(
          fmt::format("{} redirected folio(s) found charged to another cgroup (stats/redirect_failed): the kernel's "
                      "charge path does not honour the hook; the module switches itself off at 8 (see dmesg)",
                      it->second));
      worsen(Exit::kCheckFailed);
    }
    if (auto it = st->stats.find("probe_misses"); it != st->stats.end()) {
      // Judge the misses since the last status, not the total since load:
      // one old burst must not keep the node degraded for good. A smaller
      // value than last time means the module was reloaded.
      const std::uint64_t total = it->second;
      const auto last = lastProbeMisses(roots);
      const bool sinceLast = last && *last <= total;
      const std::uint64_t fresh = sinceLast ? total - *last : total;
      const char* since = sinceLast ? "the last status" : "the module was loaded";
      jm["probe_misses_new"] = {{"count", fresh}, {"since", since}};
      saveProbeMisses(roots, total);
      if (fresh > 0) {
        problems.push_back(fmt::format("{} probe misses since {}: some page cache was charged normally ({})", fresh,
                                       since, probeMissAdvice(st->hookMechanism)));
        worsen(Exit::kCheckFailed);
      } else if (total > 0) {
        probeNote = fmt::format("{} probe misses in total, none since the last status", total);
      }
    }
  }

  auto boot = describeBoot(roots, j["boot"]);
  if (!boot) {
    problems.push_back("boot configuration: " + boot.error().describe());
    worsen(Exit::kCheckFailed);
  }
  const std::string bootText = boot ? *boot : "unknown (" + boot.error().describe() + ")";

  std::string verdict;
  if (problems.empty()) {
    const std::string where = st->target && *st->target != 0 ? "the target cgroup" : "root";
    if (!st->enabled) {
      verdict = "ok: loaded, disabled (page cache is charged normally)";
    } else if (st->scope && !st->scope->empty()) {
      verdict =
          fmt::format("ok: redirecting page cache of {} scoped cgroup subtree(s) to {}", st->scope->size(), where);
    } else {
      verdict = fmt::format("ok: redirecting page cache of all cgroups to {}", where);
    }
  } else {
    verdict = fmt::format("{}: {}", exit == Exit::kEnvironment ? "error" : "degraded", fmt::join(problems, "; "));
  }
  j["health"] = {{"ok", problems.empty()}, {"verdict", verdict}, {"problems", problems}};

  // Text.
  std::string& t = out.text;
  t += fmt::format("{:<16}{}\n", "module:", mod.loaded() ? "loaded" : "not loaded");
  if (st) {
    t += fmt::format("{:<16}{}\n", "version:", st->version);
    t += fmt::format("{:<16}{}\n", "enabled:", st->enabled ? "yes" : "no");
    if (st->metadata) {
      t += fmt::format("{:<16}{}\n", "metadata:", *st->metadata ? "yes (filesystem metadata cache too)" : "no");
    }
    t += fmt::format("{:<16}{}\n", "hook:", st->hook);
    t += fmt::format("{:<16}{}\n", "hook mechanism:",
                     st->hookMechanism ? toString(*st->hookMechanism) : "unknown (module without hook_mechanism)");
    t += fmt::format("{:<16}{}\n",
                     "hook state:", st->hookState ? toString(*st->hookState) : "unknown (module without hook_state)");
    for (const auto& part : st->hookMissing) {
      t += fmt::format("{:<16}{}\n", "missing:", explainHookMissing(part));
    }
    if (!st->scope) {
      t += fmt::format("{:<16}{}\n", "scope:", "unsupported by this module");
    } else if (st->scope->empty()) {
      t += fmt::format("{:<16}{}\n", "scope:", "all cgroups (empty scope)");
    } else {
      t += fmt::format("{:<16}{} cgroup(s): {}\n", "scope:", st->scope->size(), fmt::join(*st->scope, " "));
    }
    if (!targetText.empty()) {
      t += fmt::format("{:<16}{}\n", "target:", targetText);
    }
    for (const auto& [k, v] : st->stats) {
      t += fmt::format("  {:<29}{}{}\n", k + ":", v, k == "redirected_bytes" ? " (" + humanBytes(v) + ")" : "");
    }
  }
  t += fmt::format("{:<16}{}\n", "next boot:", bootText);
  t += fmt::format("{:<16}{}\n", "kernel:", j["kernel"].get<std::string>());
  t += fmt::format("{:<16}{}\n", "cgroup mode:", j["cgroup_mode"].get<std::string>());
  if (hier) {
    t += fmt::format("{:<16}{}\n", "memory root:", escapeName(hier->root));
  }
  t += fmt::format("{:<16}{}\n",
                   "dying memcgs:", j["dying_memcgs"].is_null() ? std::string("unknown") : j["dying_memcgs"].dump());
  t += fmt::format("{:<16}{}\n", "health:", verdict);
  if (!probeNote.empty()) {
    t += fmt::format("{:<16}{}\n", "note:", probeNote);
  }
  out.exit = exit;
  return out;
}

}  // namespace rootcache
