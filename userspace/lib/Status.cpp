// SPDX-License-Identifier: GPL-2.0
#include <fmt/format.h>

#include "rootcache/Commands.h"

namespace rootcache {

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
  if (!mod.loaded()) {
    problems.emplace_back("module not loaded");
    worsen(Exit::kEnvironment);
  } else if (auto r = mod.read(); !r) {
    problems.push_back(r.error().describe());
    worsen(r.error().exit);
  } else {
    st = *r;
    jm["version"] = st->version;
    jm["enabled"] = st->enabled;
    jm["hook"] = st->hook;
    if (st->scope) {
      jm["scope"] = *st->scope;
    } else {
      jm["scope"] = nullptr;
    }
    jm["hook_state"] = st->hookState ? nlohmann::json(std::string(toString(*st->hookState))) : nlohmann::json(nullptr);
    jm["stats"] = st->stats;
    if (st->hookState && *st->hookState != HookState::kOk) {
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
    if (auto it = st->stats.find("probe_misses"); it != st->stats.end() && it->second > 0) {
      problems.push_back(fmt::format(
          "{} probe misses: some page cache was charged normally (raise the maxactive module parameter)", it->second));
      worsen(Exit::kCheckFailed);
    }
  }

  std::string verdict;
  if (problems.empty()) {
    if (!st->enabled) {
      verdict = "ok: loaded, disabled (page cache is charged normally)";
    } else if (st->scope && !st->scope->empty()) {
      verdict = fmt::format("ok: redirecting page cache of {} scoped cgroup subtree(s) to root", st->scope->size());
    } else {
      verdict = "ok: redirecting page cache of all cgroups to root";
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
    t += fmt::format("{:<16}{}\n", "hook:", st->hook);
    t += fmt::format("{:<16}{}\n",
                     "hook state:", st->hookState ? toString(*st->hookState) : "unknown (module without hook_state)");
    if (!st->scope) {
      t += fmt::format("{:<16}{}\n", "scope:", "unsupported by this module");
    } else if (st->scope->empty()) {
      t += fmt::format("{:<16}{}\n", "scope:", "all cgroups (empty scope)");
    } else {
      t += fmt::format("{:<16}{} cgroup(s): {}\n", "scope:", st->scope->size(), fmt::join(*st->scope, " "));
    }
    for (const auto& [k, v] : st->stats) {
      t += fmt::format("  {:<29}{}{}\n", k + ":", v, k == "redirected_bytes" ? " (" + humanBytes(v) + ")" : "");
    }
  }
  t += fmt::format("{:<16}{}\n", "kernel:", j["kernel"].get<std::string>());
  t += fmt::format("{:<16}{}\n", "cgroup mode:", j["cgroup_mode"].get<std::string>());
  if (hier) {
    t += fmt::format("{:<16}{}\n", "memory root:", hier->root);
  }
  t += fmt::format("{:<16}{}\n",
                   "dying memcgs:", j["dying_memcgs"].is_null() ? std::string("unknown") : j["dying_memcgs"].dump());
  t += fmt::format("{:<16}{}\n", "health:", verdict);
  out.exit = exit;
  return out;
}

}  // namespace rootcache
