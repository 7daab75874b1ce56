// SPDX-License-Identifier: GPL-2.0
// drain: release page cache already charged to a cgroup. cgroup v1 has
// memory.force_empty; cgroup v2 has memory.reclaim since Linux 5.19 (Debian
// 6.1 and later), limited to file pages with swappiness=0 where the kernel
// takes that key (Debian 6.12 does, 6.1 does not). On
// 5.10 with cgroup v2 there is no way to release a cgroup's cache on demand,
// and the tool says so. A group with tasks is refused without --force.
#include "rootcache/Drain.h"

#include <fmt/format.h>

#include "rootcache/Commands.h"

namespace rootcache {

namespace {

Result<std::uint64_t> usageBytes(const CgroupPath& cg) {
  return readParsed(cg.file(cg.hierarchy().v2 ? files::kMemoryCurrent : files::kMemoryUsageV1), parseU64);
}

}  // namespace

Result<ReclaimOutcome> reclaimFileFirst(const std::function<Status(std::string_view)>& write, std::uint64_t bytes) {
  ReclaimOutcome out;
  // EAGAIN means the kernel reclaimed less than asked, e.g. pages under
  // writeback or in use by live tasks: a partial drain, not a failure.
  auto attempt = [&](const std::string& request) -> Status {
    Status s = write(request);
    if (!s && s.error().errnum == EAGAIN) {
      out.partial = true;
      return {};
    }
    return s;
  };
  // swappiness=0: reclaim file pages only, never swap out anonymous memory
  // (Debian 6.12 takes the key). Older kernels reject any key with EINVAL.
  Status s = attempt(fmt::format("{} swappiness=0", bytes));
  if (s) {
    out.fileOnly = true;
    return out;
  }
  if (s.error().errnum != EINVAL) {
    return s.error();
  }
  if (Status plain = attempt(std::to_string(bytes)); !plain) {
    return plain.error();
  }
  return out;
}

Result<DrainResult> drainCgroup(const CgroupPath& cg, const DrainOptions& opts) {
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

  const bool v2 = cg.hierarchy().v2;
  std::string reclaimPath = cg.file(files::kMemoryReclaim);
  if (v2 && !exists(reclaimPath)) {
    return environmentError(
        "this kernel has no memory.reclaim (added in Linux 5.19; Debian 6.1 and later): on cgroup v2 "
        "the cache already charged to " +
        cg.display() +
        " cannot be released on demand; it goes only under memory pressure or after the cgroup is "
        "removed. Enable rootcache before jobs start so that no cache is charged to them.");
  }
  // A live job's working set is not ours to evict: refuse unless --force.
  auto occ = occupancy(cg);
  if (!occ) {
    return occ.error();
  }
  r.tasks = occ->processes;
  if (occ->populated && !opts.force) {
    return usageError(
        fmt::format("refusing to drain {}: it has tasks ({} process{} in it and its descendants); draining would evict "
                    "the job's working set{}. Drain after the job ends, or use --force",
                    cg.display(), occ->processes, occ->processes == 1 ? "" : "es",
                    v2 ? "" : " and swap out its anonymous memory (memory.force_empty reclaims everything)"));
  }

  if (!v2) {
    r.method = std::string(files::kMemoryForceEmpty);
    if (Status s = writeFile(cg.file(files::kMemoryForceEmpty), "0"); !s) {
      return s.error();
    }
  } else {
    r.method = std::string(files::kMemoryReclaim);
    if (r.fileBefore > 0) {
      auto outcome =
          reclaimFileFirst([&](std::string_view request) { return writeFile(reclaimPath, request); }, r.fileBefore);
      if (!outcome) {
        return outcome.error();
      }
      r.fileOnly = outcome->fileOnly;
      r.partial = outcome->partial;
      if (r.fileOnly) {
        r.method += " swappiness=0";
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
          {"tasks", r.tasks},
          {"file_only", r.fileOnly},
          {"partial", r.partial}};
}

Output runDrain(const Roots& roots, const std::vector<std::string>& cgroups, const DrainOptions& opts) {
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }
  Output out;
  auto& results = out.json["results"] = nlohmann::json::array();
  // The table on stdout has a row per drained cgroup; failures go to stderr.
  std::string rows;
  for (const auto& arg : cgroups) {
    auto cg = CgroupPath::resolve(*hier, arg);
    Result<DrainResult> r = cg ? drainCgroup(*cg, opts) : Result<DrainResult>(cg.error());
    if (!r) {
      const Error& e = r.error();
      results.push_back({{"cgroup", arg}, {"error", e.describe()}});
      // Most messages name the cgroup already; say which argument failed.
      out.errors += errorLine(Error{e.errnum, "drain " + arg + ": " + e.message, e.exit});
      if (static_cast<int>(e.exit) > static_cast<int>(out.exit)) {
        out.exit = e.exit;
      }
      continue;
    }
    results.push_back(toJson(*r));
    rows += fmt::format("{:<32} {:>12} {:>12} {:>12}  {}{}\n", escapeName(r->cgroup), humanBytes(r->fileBefore),
                        humanBytes(r->fileAfter),
                        humanBytes(r->fileBefore > r->fileAfter ? r->fileBefore - r->fileAfter : 0), r->method,
                        r->partial ? " (partial)" : "");
    if (r->tasks > 0) {
      std::string risk;
      if (!cg->hierarchy().v2) {
        risk = " (memory.force_empty may swap out its anonymous memory)";
      } else if (!r->fileOnly) {
        risk = " (this kernel has no swappiness=0: its anonymous memory may be swapped out)";
      }
      rows += fmt::format("{:<32} warning: drained with --force while it has {} process{}{}\n", "", r->tasks,
                          r->tasks == 1 ? "" : "es", risk);
    }
  }
  if (!rows.empty()) {
    out.text =
        fmt::format("{:<32} {:>12} {:>12} {:>12}  {}\n", "CGROUP", "FILE BEFORE", "FILE AFTER", "RELEASED", "METHOD") +
        rows;
  }
  return out;
}

}  // namespace rootcache
