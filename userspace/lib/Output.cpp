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
  out.errors = errorLine(e);
  out.exit = e.exit;
  return out;
}

std::string errorLine(const Error& e) {
  // Messages quote names as given: escape the whole line.
  return "rootcachectl: " + escapeName(e.describe()) + "\n";
}

std::string escapeName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\x{:02x}", u);
        } else {
          out.push_back(c);
        }
    }
  }
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
