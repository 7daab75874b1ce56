// SPDX-License-Identifier: GPL-2.0
// target show|set|clear: the cache pool, the memory cgroup the module charges
// redirected cache to (root when none is set). Paths <-> IDs as for scope.
#include <fmt/format.h>

#include "rootcache/Commands.h"

namespace rootcache {

std::string describeTarget(std::uint64_t id, const std::optional<std::string>& path) {
  if (id == 0) {
    return "root (no target: redirected cache is charged to the root cgroup)";
  }
  if (path) {
    return fmt::format("{} ({})", escapeName(*path), id);
  }
  return fmt::format("{} (removed: redirected cache goes to root; set a new target or clear it)", id);
}

namespace {

nlohmann::json targetJson(std::uint64_t id, const std::optional<std::string>& path) {
  nlohmann::json j{{"id", id}, {"root", id == 0}};
  j["path"] = id == 0 ? nlohmann::json("/") : path ? nlohmann::json(*path) : nlohmann::json(nullptr);
  j["exists"] = id == 0 || path.has_value();
  return j;
}

}  // namespace

Result<std::optional<std::string>> targetPath(const MemoryHierarchy& h, std::uint64_t id) {
  if (id == 0) {
    return std::optional<std::string>("/");
  }
  auto live = cgroupsById(h);
  if (!live) {
    return live.error();
  }
  auto it = live->find(id);
  return it == live->end() ? std::optional<std::string>() : std::optional<std::string>(it->second.display());
}

Output runTarget(const Roots& roots, TargetAction action, const std::string& cgroup) {
  ModuleClient mod(roots);
  auto cur = mod.target();
  if (!cur) {
    return errorOutput(cur.error());
  }
  if (!*cur) {
    return errorOutput(environmentError("this rootcache module has no target support", ENOENT));
  }
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }

  Output out;
  switch (action) {
    case TargetAction::kShow: {
      auto path = targetPath(*hier, **cur);
      if (!path) {
        return errorOutput(path.error());
      }
      out.json["target"] = targetJson(**cur, *path);
      out.text = fmt::format("target: {}\n", describeTarget(**cur, *path));
      return out;
    }
    case TargetAction::kClear: {
      if (Status s = mod.writeTarget(0); !s) {
        return errorOutput(s.error());
      }
      out.json["target"] = targetJson(0, std::nullopt);
      out.json["previous"] = **cur;
      out.text = "target cleared: redirected cache is charged to the root cgroup\n";
      return out;
    }
    case TargetAction::kSet:
      break;
  }

  auto cg = CgroupPath::resolve(*hier, cgroup);
  if (!cg) {
    return errorOutput(cg.error());
  }
  std::uint64_t id = 0;
  if (!cg->isRoot()) {
    auto i = cgroupId(*cg);
    if (!i) {
      return errorOutput(i.error());
    }
    id = *i;
  }
  if (Status s = mod.writeTarget(id); !s) {
    const Error& e = s.error();
    return errorOutput(Error{e.errnum, cg->display() + ": " + e.message, e.exit});
  }
  out.json["target"] = targetJson(id, cg->display());
  out.json["previous"] = **cur;
  out.text = id == 0
                 ? "target cleared: redirected cache is charged to the root cgroup\n"
                 : fmt::format("target set: redirected cache is charged to {} ({})\n", escapeName(cg->display()), id);
  return out;
}

}  // namespace rootcache
