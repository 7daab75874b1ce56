// SPDX-License-Identifier: GPL-2.0
// scope list|add|del|clear|prune: cgroup paths <-> IDs (the inode of the
// cgroup's directory in the memory hierarchy) and the module's scope file.
#include <fmt/format.h>

#include <algorithm>

#include "rootcache/Commands.h"

namespace rootcache {

namespace {

void worsen(Exit& exit, Exit e) {
  if (static_cast<int>(e) > static_cast<int>(exit)) {
    exit = e;
  }
}

Output listScope(const std::vector<std::uint64_t>& ids, const std::map<std::uint64_t, CgroupPath>& live) {
  Output out;
  auto& entries = out.json["scope"] = nlohmann::json::array();
  size_t stale = 0;
  for (auto id : ids) {
    auto it = live.find(id);
    nlohmann::json e{{"id", id}, {"exists", it != live.end()}};
    e["path"] = it != live.end() ? nlohmann::json(it->second.display()) : nlohmann::json(nullptr);
    entries.push_back(e);
    if (it != live.end()) {
      out.text += fmt::format("{:<12} {}\n", id, escapeName(it->second.display()));
    } else {
      out.text += fmt::format("{:<12} (gone: no such cgroup; 'rootcachectl scope prune' drops it)\n", id);
      ++stale;
    }
  }
  out.json["stale"] = stale;
  if (ids.empty()) {
    out.text = "scope is empty: page cache of every cgroup is redirected (when enabled)\n";
  }
  return out;
}

}  // namespace

Output runScope(const Roots& roots, ScopeAction action, const std::vector<std::string>& paths) {
  ModuleClient mod(roots);
  auto ids = mod.scope();
  if (!ids) {
    Error e = ids.error();
    if (e.errnum == ENOENT) {
      e = environmentError("this rootcache module has no scope support", ENOENT);
    }
    return errorOutput(e);
  }
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }
  auto live = cgroupsById(*hier);
  if (!live) {
    return errorOutput(live.error());
  }

  Output out;
  switch (action) {
    case ScopeAction::kList:
      return listScope(*ids, *live);
    case ScopeAction::kClear: {
      if (Status s = mod.writeScope(ScopeOp::kClear); !s) {
        return errorOutput(s.error());
      }
      out.json["cleared"] = ids->size();
      out.text = fmt::format("scope cleared ({} entr{} removed): every cgroup is redirected (when enabled)\n",
                             ids->size(), ids->size() == 1 ? "y" : "ies");
      return out;
    }
    case ScopeAction::kPrune: {
      auto& dropped = out.json["pruned"] = nlohmann::json::array();
      for (auto id : *ids) {
        if (live->contains(id)) {
          continue;
        }
        Status s = mod.writeScope(ScopeOp::kDel, id);
        // ENOENT: someone else removed it meanwhile; fine.
        if (!s && s.error().errnum != ENOENT) {
          Output err = errorOutput(s.error());
          out.json["error"] = err.json["error"];
          out.errors += err.errors;
          worsen(out.exit, err.exit);
          continue;
        }
        dropped.push_back(id);
        out.text += fmt::format("dropped {} (cgroup gone)\n", id);
      }
      if (dropped.empty() && out.exit == Exit::kOk) {
        out.text += "nothing to prune\n";
      }
      return out;
    }
    case ScopeAction::kAdd:
    case ScopeAction::kDel:
      break;
  }

  bool add = action == ScopeAction::kAdd;
  auto& results = out.json["results"] = nlohmann::json::array();
  for (const auto& p : paths) {
    nlohmann::json r{{"cgroup", p}};
    std::optional<std::uint64_t> id;
    std::string display = p;
    auto cg = CgroupPath::resolve(*hier, p);
    if (cg) {
      auto i = cgroupId(*cg);
      if (i) {
        id = *i;
        display = cg->display();
      }
    } else if (!add) {
      // A cgroup that is gone can still be removed by its ID: digits only,
      // as given ("5 " is not an ID).
      if (!p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        id = parseU64(p);
      }
    }
    if (!id) {
      Error e = cg ? checkError("cannot read the ID of " + p) : cg.error();
      r["ok"] = false;
      r["error"] = e.describe();
      out.errors += errorLine(e);
      worsen(out.exit, e.exit);
      results.push_back(r);
      continue;
    }
    r["id"] = *id;
    r["path"] = display;
    Status s = mod.writeScope(add ? ScopeOp::kAdd : ScopeOp::kDel, *id);
    r["ok"] = s.ok();
    if (s) {
      out.text += fmt::format("{} {} ({})\n", add ? "added" : "removed", escapeName(display), *id);
    } else {
      r["error"] = s.error().describe();
      const Error& e = s.error();
      out.errors += errorLine(Error{e.errnum, display + ": " + e.message, e.exit});
      worsen(out.exit, s.error().exit);
    }
    results.push_back(r);
  }
  return out;
}

}  // namespace rootcache
