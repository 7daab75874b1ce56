// SPDX-License-Identifier: GPL-2.0
#include <fmt/format.h>

#include "rootcache/Commands.h"

namespace rootcache {

Output errorOutput(const Error& e) {
  Output out;
  out.json["error"] = e.describe();
  if (e.errnum != 0) {
    out.json["errno"] = e.errnum;
  }
  out.text = "rootcachectl: " + e.describe() + "\n";
  out.exit = e.exit;
  return out;
}

std::string humanBytes(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024;
  if (bytes < kKiB) {
    return fmt::format("{} B", bytes);
  }
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / kKiB;
  size_t i = 0;
  while (v >= 1024.0 && i + 1 < std::size(units)) {
    v /= 1024.0;
    ++i;
  }
  return fmt::format("{:.1f} {}", v, units[i]);  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index)
}

}  // namespace rootcache
