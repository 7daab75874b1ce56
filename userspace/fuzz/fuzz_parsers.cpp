// SPDX-License-Identifier: GPL-2.0
// libFuzzer target for the parsers of kernel files: whatever the kernel (or
// a broken fixture) writes, they must not crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rootcache/Cgroup.h"
#include "rootcache/Fs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data),
                        size);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  (void)rootcache::parseU64(text);
  (void)rootcache::parseI64(text);
  (void)rootcache::parseBool01(text);
  (void)rootcache::parseKeyValues(text);
  (void)rootcache::parseIdList(text);
  (void)rootcache::parseProcCgroups(text);
  (void)rootcache::splitWords(text);
  (void)rootcache::dyingFromProcCgroups(text, size);
  return 0;
}
