// SPDX-License-Identifier: GPL-2.0
// drain: release page cache already charged to a cgroup. cgroup v1 has
// memory.force_empty; cgroup v2 has memory.reclaim since Linux 5.19 (Debian
// 6.1 and later). On 5.10 with cgroup v2 there is no way to release a
// cgroup's cache on demand, and the tool says so.
#include "rootcache/Drain.h"

#include <fmt/format.h>

#include "rootcache/Commands.h"

namespace rootcache {

namespace {

Result<std::uint64_t> usageBytes(const CgroupPath& cg) {
  std::string path = cg.file(cg.hierarchy().v2 ? files::kMemoryCurrent : files::kMemoryUsageV1);
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto v = parseU64(*text);
  if (!v) {
    return checkError(fmt::format("unexpected value '{}' in {}", trim(*text), path));
  }
  return *v;
}

}  // namespace

Result<DrainResult> drainCgroup(const CgroupPath& cg) {
  DrainResult r;
  r.cgroup = cg.display();
  if (cg.isRoot()) {
    return usageError("refusing to drain the root cgroup (that would reclaim the whole node)");
  }
  auto before = fileBytes(cg);
  if (!before) {
    return before.error();
  }
  r.fileBefore = *before;
  r.usageBefore = usageBytes(cg).valueOr(0);

  if (!cg.hierarchy().v2) {
    r.method = std::string(files::kMemoryForceEmpty);
    if (Status s = writeFile(cg.file(files::kMemoryForceEmpty), "0"); !s) {
      return s.error();
    }
  } else {
    r.method = std::string(files::kMemoryReclaim);
    std::string path = cg.file(files::kMemoryReclaim);
    if (!exists(path)) {
      return environmentError(
          "this kernel has no memory.reclaim (added in Linux 5.19; Debian 6.1 and later): on cgroup v2 "
          "the cache already charged to " +
          cg.display() +
          " cannot be released on demand; it goes only under memory pressure or after the cgroup is "
          "removed. Enable rootcache before jobs start so that no cache is charged to them.");
    }
    // Ask for the cache; EAGAIN means the kernel reclaimed less than asked,
    // e.g. pages under writeback or in use by live tasks.
    std::uint64_t want = r.fileBefore;
    if (want > 0) {
      Status s = writeFile(path, std::to_string(want));
      if (!s) {
        if (s.error().errnum != EAGAIN) {
          return s.error();
        }
        r.partial = true;
      }
    }
  }
  auto after = fileBytes(cg);
  if (!after) {
    return after.error();
  }
  r.fileAfter = *after;
  r.usageAfter = usageBytes(cg).valueOr(0);
  return r;
}

nlohmann::json toJson(const DrainResult& r) {
  return {{"cgroup", r.cgroup},
          {"method", r.method},
          {"file_bytes_before", r.fileBefore},
          {"file_bytes_after", r.fileAfter},
          {"usage_bytes_before", r.usageBefore},
          {"usage_bytes_after", r.usageAfter},
          {"released_file_bytes", r.fileBefore > r.fileAfter ? r.fileBefore - r.fileAfter : 0},
          {"partial", r.partial}};
}

Output runDrain(const Roots& roots, const std::vector<std::string>& cgroups) {
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }
  Output out;
  auto& results = out.json["results"] = nlohmann::json::array();
  out.text =
      fmt::format("{:<32} {:>12} {:>12} {:>12}  {}\n", "CGROUP", "FILE BEFORE", "FILE AFTER", "RELEASED", "METHOD");
  for (const auto& arg : cgroups) {
    auto cg = CgroupPath::resolve(*hier, arg);
    Result<DrainResult> r = cg ? drainCgroup(*cg) : Result<DrainResult>(cg.error());
    if (!r) {
      const Error& e = r.error();
      results.push_back({{"cgroup", arg}, {"error", e.describe()}});
      out.text += fmt::format("{:<32} error: {}\n", arg, e.describe());
      if (static_cast<int>(e.exit) > static_cast<int>(out.exit)) {
        out.exit = e.exit;
      }
      continue;
    }
    results.push_back(toJson(*r));
    out.text += fmt::format("{:<32} {:>12} {:>12} {:>12}  {}{}\n", r->cgroup, humanBytes(r->fileBefore),
                            humanBytes(r->fileAfter),
                            humanBytes(r->fileBefore > r->fileAfter ? r->fileBefore - r->fileAfter : 0), r->method,
                            r->partial ? " (partial)" : "");
  }
  return out;
}

}  // namespace rootcache
