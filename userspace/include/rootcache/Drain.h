// SPDX-License-Identifier: GPL-2.0
// Draining one cgroup, shared by `drain` and `release-agent`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "rootcache/Cgroup.h"
#include "rootcache/Expected.h"

namespace rootcache {

struct DrainResult {
  std::string cgroup;
  std::string method;  // memory.force_empty or memory.reclaim
  std::uint64_t fileBefore = 0;
  std::uint64_t fileAfter = 0;
  std::uint64_t usageBefore = 0;
  std::uint64_t usageAfter = 0;
  bool partial = false;  // memory.reclaim said EAGAIN
};

[[nodiscard]] Result<DrainResult> drainCgroup(const CgroupPath& cg);
[[nodiscard]] nlohmann::json toJson(const DrainResult& r);

}  // namespace rootcache
