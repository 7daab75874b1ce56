// SPDX-License-Identifier: GPL-2.0
// The cgroupfs model: which mode the node runs, where the memory controller
// lives, per-cgroup file charge, dying memcgs, and cgroup IDs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rootcache/Expected.h"
#include "rootcache/Fs.h"

namespace rootcache {

enum class CgroupMode { kV1, kV2, kHybrid, kNone };
[[nodiscard]] std::string_view toString(CgroupMode m);

// The hierarchy the memory controller is on.
struct MemoryHierarchy {
  CgroupMode mode = CgroupMode::kNone;
  bool v2 = false;   // memory controller on the unified hierarchy
  std::string root;  // its mount point, e.g. /sys/fs/cgroup or /sys/fs/cgroup/memory
};

// The cgroup filesystems mounted on the node, as <proc>/self/mountinfo
// lists them (the way libcgroup and systemd find them), with the mount
// points mapped into the tool's view (see mountPrefix()).
struct CgroupMounts {
  // v1 hierarchies that carry the memory controller, alone or co-mounted
  // ("cpu,memory"), at any mount point; the best candidate first.
  std::vector<std::string> v1Memory;
  // cgroup2 mount points; the best candidate first.
  std::vector<std::string> v2;
  bool v1Any = false;  // any v1 hierarchy, with or without memory
};

// Where the mount points of <proc>/self/mountinfo are in the tool's view:
// "" with the default --cgroup-root; "DIR" when --cgroup-root is
// DIR/sys/fs/cgroup (a fixture tree laid out like a root filesystem);
// nullopt for any other --cgroup-root, which is probed at fixed paths only.
[[nodiscard]] std::optional<std::string> mountPrefix(const Roots& roots);
// Pure: the cgroup mounts among mountinfo entries. A mount point that is
// mounted over again is hidden; whole-hierarchy mounts (root "/") and
// those at the standard places (<prefix>/sys/fs/cgroup/memory,
// <prefix>/sys/fs/cgroup) come first.
[[nodiscard]] CgroupMounts cgroupMounts(const std::vector<MountEntry>& entries, std::string_view prefix);

// Where the memory controller is, in this order:
// 1. <proc>/self/mountinfo, when mountPrefix() maps it and it lists cgroup
//    filesystems: a v1 hierarchy with "memory" in its super options wins
//    (v1, or hybrid when cgroup2 is mounted too); else a cgroup2 mount
//    whose cgroup.controllers lists memory (v2, or hybrid when v1
//    hierarchies are mounted too). On a live system, among several mounts
//    of the memory hierarchy the one libcgroup uses is preferred, so that
//    libcgroup can create and remove cgroups there (makeCgroupOps()).
// 2. On a live system, libcgroup's mount point of "memory", if statfs says
//    it is a cgroup filesystem.
// 3. Fixed paths under --cgroup-root: v2 when <root>/cgroup.controllers
//    exists; v1 when <root>/memory is a memory hierarchy; hybrid when, in
//    addition, cgroup2 is at <root>/unified. Memory on v2 needs "memory" in
//    the root's cgroup.controllers.
[[nodiscard]] CgroupMode detectMode(const Roots& roots);
// Fails with an environment error when there is no memory controller.
[[nodiscard]] Result<MemoryHierarchy> findMemoryHierarchy(const Roots& roots);

// libcgroup's mount point of a controller (its own mount table), or
// nullopt when libcgroup cannot be initialised or does not know it.
[[nodiscard]] std::optional<std::string> libcgroupMountPoint(const char* controller);

// A cgroup inside the memory hierarchy, named by its path relative to the
// hierarchy root ("" is the root cgroup).
class CgroupPath {
 public:
  CgroupPath(MemoryHierarchy h, std::string rel);
  // Accepts an absolute path under the hierarchy root, or a path relative
  // to it (with or without a leading '/'). Usage errors (errno ENOENT only when
  // nothing is there): '.' or '..', no such cgroup, or an absolute path of
  // a directory outside the hierarchy ("outside the memory hierarchy").
  static Result<CgroupPath> resolve(const MemoryHierarchy& h, std::string_view arg);

  [[nodiscard]] std::string absolute() const;
  [[nodiscard]] std::string file(std::string_view name) const;
  [[nodiscard]] const std::string& relative() const { return rel_; }
  // "/" for the root, "/a/b" otherwise: how people write cgroup paths.
  [[nodiscard]] std::string display() const { return "/" + rel_; }
  [[nodiscard]] bool isRoot() const { return rel_.empty(); }
  [[nodiscard]] const MemoryHierarchy& hierarchy() const { return h_; }
  [[nodiscard]] CgroupPath child(std::string_view name) const;
  // The cgroup and its ancestors up to the root, nearest first.
  [[nodiscard]] std::vector<CgroupPath> lineage() const;

 private:
  MemoryHierarchy h_;
  std::string rel_;
};

// File cache charged to a cgroup, in bytes: v2 memory.stat "file", v1
// memory.stat "cache" (this cgroup only, without descendants on v1).
[[nodiscard]] Result<std::uint64_t> fileBytes(const CgroupPath& cg);
// Whether a cgroup or one of its descendants has tasks: v2 cgroup.events
// "populated" (when the file is there), else any pid in the cgroup.procs of
// the cgroup or a descendant. `processes` counts the pids found that way.
struct Occupancy {
  bool populated = false;
  std::uint64_t processes = 0;
};
[[nodiscard]] Result<Occupancy> occupancy(const CgroupPath& cg);
// Cgroup ID (inode of the directory).
[[nodiscard]] Result<std::uint64_t> cgroupId(const CgroupPath& cg);
// ID -> path map of every live cgroup in the hierarchy, root included.
[[nodiscard]] Result<std::map<std::uint64_t, CgroupPath>> cgroupsById(const MemoryHierarchy& h);

// Dying memory cgroups: v2 root cgroup.stat nr_dying_subsys_memory (Linux
// 6.11 and later), else nr_dying_descendants; v1
// /proc/cgroups memory num_cgroups minus the directories of the memory
// hierarchy (root included).
[[nodiscard]] Result<std::uint64_t> dyingMemcgs(const Roots& roots, const MemoryHierarchy& h);
// v2 only: dying memory cgroups at and below `cg`: its cgroup.stat
// nr_dying_subsys_memory (Linux 6.11 and later), else nr_dying_descendants.
[[nodiscard]] Result<std::uint64_t> dyingMemcgsUnder(const CgroupPath& cg);
// Pure part of the v1 count, for tests: num_cgroups minus visible.
[[nodiscard]] Result<std::uint64_t> dyingFromProcCgroups(std::string_view procCgroups, std::uint64_t visibleDirs);

// Creating, joining and removing cgroups. Two implementations: libcgroup on
// a live system, cgroupfs directly elsewhere (fixture trees, or when
// libcgroup cannot find the hierarchy we were pointed at).
class CgroupOps {
 public:
  CgroupOps() = default;
  CgroupOps(const CgroupOps&) = delete;
  CgroupOps& operator=(const CgroupOps&) = delete;
  CgroupOps(CgroupOps&&) = delete;
  CgroupOps& operator=(CgroupOps&&) = delete;
  virtual ~CgroupOps() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual Status create(const CgroupPath& cg) = 0;
  [[nodiscard]] virtual Status attach(const CgroupPath& cg, int pid) = 0;
  [[nodiscard]] virtual Status remove(const CgroupPath& cg) = 0;
};

// Direct cgroupfs: mkdir, write to cgroup.procs, rmdir.
[[nodiscard]] std::unique_ptr<CgroupOps> makeFsOps();
// libcgroup when it manages the same hierarchy, else direct cgroupfs.
[[nodiscard]] std::unique_ptr<CgroupOps> makeCgroupOps(const MemoryHierarchy& h);

// On v2, make sure the memory controller is enabled for the children of
// `parent` (writes "+memory" to its cgroup.subtree_control if needed).
[[nodiscard]] Status enableMemoryForChildren(const CgroupPath& parent);

}  // namespace rootcache
