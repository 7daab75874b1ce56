// SPDX-License-Identifier: GPL-2.0
#include "rootcache/Cgroup.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace rootcache {

std::string_view toString(CgroupMode m) {
  switch (m) {
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kV2:
      return "v2";
    case CgroupMode::kHybrid:
      return "hybrid";
    case CgroupMode::kNone:
      break;
  }
  return "none";
}

namespace {

constexpr std::string_view kDefaultCgroupRoot = "/sys/fs/cgroup";
constexpr std::string_view kDefaultProcRoot = "/proc";
// statfs(2) f_type of the cgroup filesystems (linux/magic.h).
constexpr long kCgroupSuperMagic = 0x27e0eb;
constexpr long kCgroup2SuperMagic = 0x63677270;

bool isV1Memory(const std::string& dir) {
  return exists(joinPath(dir, files::kMemoryUsageV1)) || exists(joinPath(dir, files::kMemoryStat));
}

bool contains(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool v2HasMemory(const std::string& dir) {
  auto text = readFile(joinPath(dir, files::kCgroupControllers));
  return text && contains(splitWords(*text), "memory");
}

std::optional<long> fsMagic(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return static_cast<long>(st.f_type);
}

// The running system, not a fixture tree: libcgroup and statfs apply.
bool isLive(const Roots& roots) {
  return roots.cgroup == kDefaultCgroupRoot && roots.proc == kDefaultProcRoot;
}

struct Discovery {
  CgroupMode mode = CgroupMode::kNone;
  std::optional<MemoryHierarchy> memory;
};

Discovery fromMounts(const CgroupMounts& m, bool live) {
  Discovery d;
  if (!m.v1Memory.empty()) {
    std::string root = m.v1Memory.front();
    if (live) {
      if (auto lib = libcgroupMountPoint("memory"); lib && contains(m.v1Memory, *lib)) {
        root = *lib;
      }
    }
    d.mode = m.v2.empty() ? CgroupMode::kV1 : CgroupMode::kHybrid;
    d.memory = MemoryHierarchy{d.mode, false, root};
    return d;
  }
  if (m.v2.empty()) {
    d.mode = m.v1Any ? CgroupMode::kV1 : CgroupMode::kNone;
    return d;
  }
  d.mode = CgroupMode::kV2;
  for (const auto& mp : m.v2) {
    if (v2HasMemory(mp)) {
      d.memory = MemoryHierarchy{d.mode, true, mp};
      break;
    }
  }
  return d;
}

// libcgroup's mount table, checked with statfs: a live system whose
// mountinfo could not be read.
std::optional<Discovery> fromLibcgroup(const Roots& roots) {
  auto mp = libcgroupMountPoint("memory");
  if (!mp) {
    return std::nullopt;
  }
  auto magic = fsMagic(*mp);
  Discovery d;
  if (magic == kCgroupSuperMagic) {
    bool unified = fsMagic(joinPath(roots.cgroup, files::kUnifiedDir)) == kCgroup2SuperMagic ||
                   fsMagic(roots.cgroup) == kCgroup2SuperMagic;
    d.mode = unified ? CgroupMode::kHybrid : CgroupMode::kV1;
    d.memory = MemoryHierarchy{d.mode, false, *mp};
    return d;
  }
  if (magic == kCgroup2SuperMagic && v2HasMemory(*mp)) {
    d.mode = CgroupMode::kV2;
    d.memory = MemoryHierarchy{d.mode, true, *mp};
    return d;
  }
  return std::nullopt;
}

// The fixed layout under --cgroup-root.
Discovery fromPaths(const Roots& roots) {
  Discovery d;
  if (exists(joinPath(roots.cgroup, files::kCgroupControllers))) {
    d.mode = CgroupMode::kV2;
    if (v2HasMemory(roots.cgroup)) {
      d.memory = MemoryHierarchy{d.mode, true, roots.cgroup};
    }
    return d;
  }
  std::string memDir = joinPath(roots.cgroup, files::kV1MemoryDir);
  if (isDirectory(memDir) && isV1Memory(memDir)) {
    bool unified = exists(joinPath(joinPath(roots.cgroup, files::kUnifiedDir), files::kCgroupControllers));
    d.mode = unified ? CgroupMode::kHybrid : CgroupMode::kV1;
    d.memory = MemoryHierarchy{d.mode, false, memDir};
  }
  return d;
}

Discovery discover(const Roots& roots) {
  if (auto prefix = mountPrefix(roots)) {
    if (auto text = readFile(joinPath(roots.proc, files::kSelfMountinfo))) {
      auto m = cgroupMounts(parseMountinfo(*text), *prefix);
      if (!m.v1Memory.empty() || !m.v2.empty() || m.v1Any) {
        return fromMounts(m, isLive(roots));
      }
    }
  }
  if (isLive(roots)) {
    if (auto d = fromLibcgroup(roots)) {
      return *d;
    }
  }
  return fromPaths(roots);
}

// The value of the first of `keys` in a "key value" file (memory.stat,
// cgroup.stat); a check error naming the last key when none is there.
Result<std::uint64_t> readKeyValue(const std::string& path, std::initializer_list<std::string_view> keys) {
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto kv = parseKeyValues(*text);
  for (std::string_view key : keys) {
    if (auto it = kv.find(std::string(key)); it != kv.end()) {
      return it->second;
    }
  }
  return checkError(fmt::format("no '{}' in {}", *std::prev(keys.end()), path));
}

}  // namespace

std::optional<std::string> mountPrefix(const Roots& roots) {
  std::string_view root(roots.cgroup);
  while (root.size() > 1 && root.back() == '/') {
    root.remove_suffix(1);
  }
  if (root.size() < kDefaultCgroupRoot.size() ||
      root.substr(root.size() - kDefaultCgroupRoot.size()) != kDefaultCgroupRoot) {
    return std::nullopt;
  }
  return std::string(root.substr(0, root.size() - kDefaultCgroupRoot.size()));
}

CgroupMounts cgroupMounts(const std::vector<MountEntry>& entries, std::string_view prefix) {
  // A later mount at the same point hides the earlier one.
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < entries.size(); ++i) {
    last[entries[i].mountPoint] = i;
  }
  const std::string standard = std::string(prefix) + std::string(kDefaultCgroupRoot);
  const std::string standardMemory = joinPath(standard, files::kV1MemoryDir);
  const std::string standardUnified = joinPath(standard, files::kUnifiedDir);
  // Lower ranks first: whole hierarchies, then the standard places.
  using Ranked = std::pair<int, std::string>;
  std::vector<Ranked> v1;
  std::vector<Ranked> v2;
  CgroupMounts out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const MountEntry& e = entries[i];
    if (last[e.mountPoint] != i || e.mountPoint.empty() || e.mountPoint.front() != '/') {
      continue;
    }
    std::string mp = std::string(prefix) + e.mountPoint;
    while (mp.size() > 1 && mp.back() == '/') {
      mp.pop_back();
    }
    const int partial = e.root == "/" ? 0 : 4;
    if (e.fsType == "cgroup") {
      out.v1Any = true;
      if (contains(e.superOptions, "memory")) {
        v1.emplace_back(partial + (mp == standardMemory ? 0 : 1), mp);
      }
    } else if (e.fsType == "cgroup2") {
      v2.emplace_back(partial + (mp == standard ? 0 : mp == standardUnified ? 1 : 2), mp);
    }
  }
  auto byRank = [](const Ranked& a, const Ranked& b) { return a.first < b.first; };
  std::stable_sort(v1.begin(), v1.end(), byRank);
  std::stable_sort(v2.begin(), v2.end(), byRank);
  for (auto& [rank, mp] : v1) {
    out.v1Memory.push_back(std::move(mp));
  }
  for (auto& [rank, mp] : v2) {
    out.v2.push_back(std::move(mp));
  }
  return out;
}

CgroupMode detectMode(const Roots& roots) {
  return discover(roots).mode;
}

Result<MemoryHierarchy> findMemoryHierarchy(const Roots& roots) {
  Discovery d = discover(roots);
  if (d.memory) {
    return *d.memory;
  }
  return environmentError(fmt::format("no memory controller found (in {} or under {}; cgroup mode: {})",
                                      joinPath(roots.proc, files::kSelfMountinfo), roots.cgroup, toString(d.mode)));
}

CgroupPath::CgroupPath(MemoryHierarchy h, std::string rel) : h_(std::move(h)), rel_(std::move(rel)) {
  while (!rel_.empty() && rel_.front() == '/') {
    rel_.erase(rel_.begin());
  }
  while (!rel_.empty() && rel_.back() == '/') {
    rel_.pop_back();
  }
}

Result<CgroupPath> CgroupPath::resolve(const MemoryHierarchy& h, std::string_view arg) {
  // As given: a cgroup name may begin or end with a space.
  std::string a(arg);
  if (a.empty()) {
    return usageError("empty cgroup path");
  }
  std::string rel = a;
  std::string rootSlash = h.root;
  if (rootSlash.back() != '/') {
    rootSlash.push_back('/');
  }
  if (a == h.root) {
    rel.clear();
  } else if (a.rfind(rootSlash, 0) == 0) {
    rel = a.substr(rootSlash.size());
  }
  // No ".." or "." components: a path must stay inside the hierarchy.
  std::string_view rest(rel);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part == ".." || part == ".") {
      return usageError("cgroup path must not contain '.' or '..': " + a);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  CgroupPath cg(h, rel);
  if (!isDirectory(cg.absolute())) {
    // An absolute path elsewhere: another hierarchy (v1 cpu, the unified
    // one of a hybrid node) or no cgroup at all. Not ENOENT: it exists.
    if (rel == a && a.front() == '/' && isDirectory(a)) {
      return Error{0,
                   fmt::format("{} is outside the memory hierarchy (mounted at {}): name a cgroup under {}, or its "
                               "path relative to it",
                               a, h.root, h.root),
                   Exit::kUsage};
    }
    // A mistake in the arguments, as '..' is: the same exit code everywhere.
    return Error{ENOENT, fmt::format("no such cgroup: {} (looked for {})", a, cg.absolute()), Exit::kUsage};
  }
  return cg;
}

std::string CgroupPath::absolute() const {
  return joinPath(h_.root, rel_);
}

std::string CgroupPath::file(std::string_view name) const {
  return joinPath(absolute(), name);
}

CgroupPath CgroupPath::child(std::string_view name) const {
  return {h_, rel_.empty() ? std::string(name) : rel_ + "/" + std::string(name)};
}

std::vector<CgroupPath> CgroupPath::lineage() const {
  std::vector<CgroupPath> out{*this};
  std::string rel = rel_;
  while (!rel.empty()) {
    size_t slash = rel.rfind('/');
    rel.resize(slash == std::string::npos ? 0 : slash);
    out.emplace_back(h_, rel);
  }
  return out;
}

Result<std::uint64_t> fileBytes(const CgroupPath& cg) {
  return readKeyValue(cg.file(files::kMemoryStat), {cg.hierarchy().v2 ? "file" : "cache"});
}

Result<Occupancy> occupancy(const CgroupPath& cg) {
  Occupancy o;
  auto dirs = listDirsRecursive(cg.absolute());
  if (!dirs) {
    return dirs.error();
  }
  dirs->insert(dirs->begin(), "");
  for (const auto& rel : *dirs) {
    std::string path = joinPath(joinPath(cg.absolute(), rel), files::kCgroupProcs);
    auto text = readFile(path);
    if (!text) {
      // A descendant removed while we look holds no task.
      if (text.error().errnum == ENOENT && !rel.empty()) {
        continue;
      }
      return text.error();
    }
    for (std::string_view rest(*text); !rest.empty();) {
      size_t nl = rest.find('\n');
      if (!trim(rest.substr(0, nl)).empty()) {
        ++o.processes;
      }
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
  }
  o.populated = o.processes > 0;
  // v2: threads-only members and a race with the scan show in "populated".
  if (cg.hierarchy().v2) {
    if (auto events = readFile(cg.file(files::kCgroupEvents))) {
      auto kv = parseKeyValues(*events);
      if (auto it = kv.find("populated"); it != kv.end() && it->second != 0) {
        o.populated = true;
      }
    }
  }
  return o;
}

Result<std::uint64_t> cgroupId(const CgroupPath& cg) {
  return inodeOf(cg.absolute());
}

Result<std::map<std::uint64_t, CgroupPath>> cgroupsById(const MemoryHierarchy& h) {
  std::map<std::uint64_t, CgroupPath> out;
  auto dirs = listDirsRecursive(h.root);
  if (!dirs) {
    return dirs.error();
  }
  dirs->insert(dirs->begin(), "");
  for (const auto& rel : *dirs) {
    CgroupPath cg(h, rel);
    auto id = cgroupId(cg);
    if (id) {
      out.emplace(*id, cg);
    }
  }
  return out;
}

Result<std::uint64_t> dyingFromProcCgroups(std::string_view procCgroups, std::uint64_t visibleDirs) {
  for (const auto& e : parseProcCgroups(procCgroups)) {
    if (e.subsys == "memory") {
      if (e.hierarchy == 0) {
        return environmentError("memory controller is not on a v1 hierarchy in /proc/cgroups");
      }
      // Cgroups created or removed between the two reads can make this
      // briefly negative: clamp.
      return e.numCgroups > visibleDirs ? e.numCgroups - visibleDirs : 0;
    }
  }
  return environmentError("no memory line in /proc/cgroups");
}

Result<std::uint64_t> dyingMemcgs(const Roots& roots, const MemoryHierarchy& h) {
  if (h.v2) {
    // As dyingMemcgsUnder(): memory's own count where the kernel has it.
    return readKeyValue(joinPath(h.root, files::kCgroupStat), {"nr_dying_subsys_memory", "nr_dying_descendants"});
  }
  auto text = readFile(joinPath(roots.proc, files::kProcCgroups));
  if (!text) {
    return text.error();
  }
  auto dirs = listDirsRecursive(h.root);
  if (!dirs) {
    return dirs.error();
  }
  return dyingFromProcCgroups(*text, dirs->size() + 1);
}

Result<std::uint64_t> dyingMemcgsUnder(const CgroupPath& cg) {
  // Where the kernel has it, nr_dying_subsys_memory counts dying memory
  // cgroups alone (nr_dying_descendants counts every controller's).
  return readKeyValue(cg.file(files::kCgroupStat), {"nr_dying_subsys_memory", "nr_dying_descendants"});
}

Status enableMemoryForChildren(const CgroupPath& parent) {
  if (!parent.hierarchy().v2) {
    return {};
  }
  std::string path = parent.file(files::kCgroupSubtreeControl);
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto words = splitWords(*text);
  if (std::find(words.begin(), words.end(), "memory") != words.end()) {
    return {};
  }
  return writeFile(path, "+memory");
}

namespace {

class FsOps final : public CgroupOps {
 public:
  [[nodiscard]] std::string_view name() const override { return "cgroupfs"; }
  [[nodiscard]] Status create(const CgroupPath& cg) override {
    if (Status s = makeDir(cg.absolute()); !s) {
      return systemError(s.error().errnum, "cannot create cgroup " + cg.absolute());
    }
    return {};
  }
  [[nodiscard]] Status attach(const CgroupPath& cg, int pid) override {
    return writeFile(cg.file(files::kCgroupProcs), std::to_string(pid));
  }
  [[nodiscard]] Status remove(const CgroupPath& cg) override {
    if (Status s = removeDir(cg.absolute()); !s) {
      return systemError(s.error().errnum, "cannot remove cgroup " + cg.absolute());
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<CgroupOps> makeFsOps() {
  return std::make_unique<FsOps>();
}

}  // namespace rootcache
