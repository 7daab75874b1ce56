// SPDX-License-Identifier: GPL-2.0
#include "rootcache/Cgroup.h"

#include <fmt/format.h>

#include <algorithm>

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

bool isV1Memory(const std::string& dir) {
  return exists(joinPath(dir, files::kMemoryUsageV1)) || exists(joinPath(dir, files::kMemoryStat));
}

bool v2HasMemory(const std::string& dir) {
  auto text = readFile(joinPath(dir, files::kCgroupControllers));
  if (!text) {
    return false;
  }
  auto words = splitWords(*text);
  return std::find(words.begin(), words.end(), "memory") != words.end();
}

}  // namespace

CgroupMode detectMode(const Roots& roots) {
  if (exists(joinPath(roots.cgroup, files::kCgroupControllers))) {
    return CgroupMode::kV2;
  }
  std::string memDir = joinPath(roots.cgroup, files::kV1MemoryDir);
  bool v1 = isDirectory(memDir) && isV1Memory(memDir);
  bool unified = exists(joinPath(joinPath(roots.cgroup, files::kUnifiedDir), files::kCgroupControllers));
  if (v1) {
    return unified ? CgroupMode::kHybrid : CgroupMode::kV1;
  }
  return CgroupMode::kNone;
}

Result<MemoryHierarchy> findMemoryHierarchy(const Roots& roots) {
  MemoryHierarchy h;
  h.mode = detectMode(roots);
  switch (h.mode) {
    case CgroupMode::kV2:
      if (v2HasMemory(roots.cgroup)) {
        h.v2 = true;
        h.root = roots.cgroup;
        return h;
      }
      break;
    case CgroupMode::kV1:
    case CgroupMode::kHybrid:
      h.root = joinPath(roots.cgroup, files::kV1MemoryDir);
      return h;
    case CgroupMode::kNone:
      break;
  }
  return environmentError(
      fmt::format("no memory controller found under {} (cgroup mode: {})", roots.cgroup, toString(h.mode)));
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
    return Error{ENOENT, fmt::format("no such cgroup: {} (looked for {})", a, cg.absolute()), Exit::kCheckFailed};
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
  std::string path = cg.file(files::kMemoryStat);
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto kv = parseKeyValues(*text);
  const char* key = cg.hierarchy().v2 ? "file" : "cache";
  auto it = kv.find(key);
  if (it == kv.end()) {
    return checkError(fmt::format("no '{}' in {}", key, path));
  }
  return it->second;
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
    std::string path = joinPath(h.root, files::kCgroupStat);
    auto text = readFile(path);
    if (!text) {
      return text.error();
    }
    auto kv = parseKeyValues(*text);
    auto it = kv.find("nr_dying_descendants");
    if (it == kv.end()) {
      return checkError("no nr_dying_descendants in " + path);
    }
    return it->second;
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
  std::string path = cg.file(files::kCgroupStat);
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto kv = parseKeyValues(*text);
  for (const char* key : {"nr_dying_subsys_memory", "nr_dying_descendants"}) {
    if (auto it = kv.find(key); it != kv.end()) {
      return it->second;
    }
  }
  return checkError("no nr_dying_descendants in " + path);
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
