// SPDX-License-Identifier: GPL-2.0
// Draining one cgroup, shared by `drain`, `release-agent` and `verify`.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rootcache/Cgroup.h"
#include "rootcache/Expected.h"

namespace rootcache {

struct DrainOptions {
  // Drain a group that has tasks. Without it such a group is refused: the
  // drain would evict the job's working set (and on v1, or on v2 kernels
  // without memory.reclaim's swappiness=, swap out its anonymous memory).
  bool force = false;
};

struct DrainResult {
  std::string cgroup;
  std::string method;  // memory.force_empty, memory.reclaim or memory.reclaim swappiness=0
  std::uint64_t fileBefore = 0;
  std::uint64_t fileAfter = 0;
  std::uint64_t usageBefore = 0;
  std::uint64_t usageAfter = 0;
  std::uint64_t tasks = 0;  // processes in the group and its descendants (--force)
  bool fileOnly = false;    // the kernel took swappiness=0: only file pages were reclaimed
  bool partial = false;     // memory.reclaim said EAGAIN
};

// Asks memory.reclaim for `bytes` of file pages: "BYTES swappiness=0" first
// (kernels that take the key: Debian 6.12 does, 6.1 does not), then plain "BYTES" when the kernel
// rejects the key with EINVAL. `write` writes one string to memory.reclaim.
struct ReclaimOutcome {
  bool fileOnly = false;
  bool partial = false;  // EAGAIN: less was reclaimed than asked
};
[[nodiscard]] Result<ReclaimOutcome> reclaimFileFirst(const std::function<Status(std::string_view)>& write,
                                                      std::uint64_t bytes);

[[nodiscard]] Result<DrainResult> drainCgroup(const CgroupPath& cg, const DrainOptions& opts = {});
[[nodiscard]] nlohmann::json toJson(const DrainResult& r);

}  // namespace rootcache
