// SPDX-License-Identifier: GPL-2.0
// Filesystem access and the parsers of kernel files. Every file name the
// tool touches is a named constant here; every path is built from a Roots
// value, so tests can point the tool at fixture trees.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rootcache/Expected.h"

namespace rootcache {

// Where the kernel's filesystems are; all injectable for tests.
struct Roots {
  std::string sysfs = "/sys";
  std::string cgroup = "/sys/fs/cgroup";
  std::string proc = "/proc";
  std::string etc = "/etc";
  std::string run = "/run";  // where status keeps what it last saw
};

// Joins path parts with exactly one '/' between them.
[[nodiscard]] std::string joinPath(std::string_view base, std::string_view rel);

namespace files {
// Module (relative to <sysfs>/kernel/rootcache).
inline constexpr std::string_view kModuleDir = "kernel/rootcache";
inline constexpr std::string_view kEnabled = "enabled";
inline constexpr std::string_view kMetadata = "metadata";
inline constexpr std::string_view kVersion = "version";
inline constexpr std::string_view kHook = "hook";
inline constexpr std::string_view kHookMechanism = "hook_mechanism";
inline constexpr std::string_view kHookState = "hook_state";
inline constexpr std::string_view kScope = "scope";
inline constexpr std::string_view kTarget = "target";
inline constexpr std::string_view kStatsDir = "stats";
// cgroupfs.
inline constexpr std::string_view kCgroupControllers = "cgroup.controllers";
inline constexpr std::string_view kCgroupSubtreeControl = "cgroup.subtree_control";
inline constexpr std::string_view kCgroupStat = "cgroup.stat";
inline constexpr std::string_view kCgroupProcs = "cgroup.procs";
inline constexpr std::string_view kCgroupEvents = "cgroup.events";
inline constexpr std::string_view kMemoryStat = "memory.stat";
inline constexpr std::string_view kMemoryCurrent = "memory.current";
inline constexpr std::string_view kMemoryReclaim = "memory.reclaim";
inline constexpr std::string_view kMemoryUsageV1 = "memory.usage_in_bytes";
inline constexpr std::string_view kMemoryForceEmpty = "memory.force_empty";
inline constexpr std::string_view kV1MemoryDir = "memory";
inline constexpr std::string_view kUnifiedDir = "unified";
inline constexpr std::string_view kTasksV1 = "tasks";
// procfs (relative to <proc>).
inline constexpr std::string_view kProcCgroups = "cgroups";
inline constexpr std::string_view kOsRelease = "sys/kernel/osrelease";
inline constexpr std::string_view kSelfMountinfo = "self/mountinfo";
// run (relative to <run>): the probe_misses value the last status saw.
inline constexpr std::string_view kStatusState = "rootcache/status.state";
// etc (relative to <etc>).
// What rootcachectl --persist wrote before the boot configuration became
// <etc>/rootcache/rootcache.conf alone (BootConf.h); --persist and the
// packages' upgrade remove them when they carry the tool's header.
inline constexpr std::string_view kLegacyModprobeConf = "modprobe.d/rootcachectl.conf";
inline constexpr std::string_view kLegacyModulesLoadConf = "modules-load.d/rootcachectl.conf";
}  // namespace files

// ---- The seam between the library and the kernel's filesystems.
// The reads, writes, listings, mkdir, rmdir and statfs the library makes on
// sysfs, cgroupfs and procfs go through the KernelFs in use: the system
// calls, unless a test installed another with ScopedKernelFs (the unit
// tests' FakeKernelFs answers from fixture trees and injects errno values
// per path). Only what has errno paths worth testing goes through it;
// exists, isDirectory and inodeOf look at the (fixture) tree directly.
class KernelFs {
 public:
  KernelFs() = default;
  KernelFs(const KernelFs&) = delete;
  KernelFs& operator=(const KernelFs&) = delete;
  KernelFs(KernelFs&&) = delete;
  KernelFs& operator=(KernelFs&&) = delete;
  virtual ~KernelFs() = default;

  [[nodiscard]] virtual Result<std::string> read(const std::string& path) = 0;
  [[nodiscard]] virtual Status write(const std::string& path, std::string_view data) = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> listRegularFiles(const std::string& dir) = 0;
  [[nodiscard]] virtual Status makeDir(const std::string& path) = 0;
  [[nodiscard]] virtual Status removeDir(const std::string& path) = 0;
  // statfs(2)'s f_type (TMPFS_MAGIC, EXT4_SUPER_MAGIC, ...).
  [[nodiscard]] virtual Result<std::int64_t> filesystemType(const std::string& path) = 0;
  // Whether the effective user is root.
  [[nodiscard]] virtual bool privileged() = 0;
};

// The system calls.
[[nodiscard]] KernelFs& systemKernelFs();
// The KernelFs in use.
[[nodiscard]] KernelFs& kernelFs();

// Makes `fs` the KernelFs in use for its lifetime (tests). Not thread-safe:
// install it before the code under test runs.
class ScopedKernelFs {
 public:
  explicit ScopedKernelFs(KernelFs& fs);
  ScopedKernelFs(const ScopedKernelFs&) = delete;
  ScopedKernelFs& operator=(const ScopedKernelFs&) = delete;
  ScopedKernelFs(ScopedKernelFs&&) = delete;
  ScopedKernelFs& operator=(ScopedKernelFs&&) = delete;
  ~ScopedKernelFs();

 private:
  KernelFs* previous_;
};

// Reads a whole (small) file. Errors carry the path and errno.
Result<std::string> readFile(const std::string& path);
// One write(2) of `data` at offset 0, as control files want.
Status writeFile(const std::string& path, std::string_view data);
// mkdir(2) with mode 0755, rmdir(2); errors carry the path and errno.
Status makeDir(const std::string& path);
Status removeDir(const std::string& path);
// statfs(2)'s f_type of the filesystem holding `path`.
Result<std::int64_t> filesystemType(const std::string& path);
// Whether the effective user is root.
[[nodiscard]] bool privileged();
// Writes `data` to a temporary file in the same directory, fsyncs it and
// renames it over `path`, so readers never see a partial file.
Status writeFileAtomic(const std::string& path, std::string_view data);
[[nodiscard]] bool exists(const std::string& path);
[[nodiscard]] bool isDirectory(const std::string& path);
// Inode number of a path (the cgroup ID of a cgroup directory).
Result<std::uint64_t> inodeOf(const std::string& path);
// Names of the regular files directly in `dir`, sorted.
Result<std::vector<std::string>> listRegularFiles(const std::string& dir);
// Sub-directories of `dir`, recursively, as paths relative to `dir`
// (not including `dir` itself), sorted.
Result<std::vector<std::string>> listDirsRecursive(const std::string& dir);

// ---- Parsers: small, strict where the kernel is strict, never throwing.
// Trailing whitespace (the kernel's newline) is ignored.
[[nodiscard]] std::string_view trim(std::string_view s);
[[nodiscard]] std::optional<std::uint64_t> parseU64(std::string_view s);
[[nodiscard]] std::optional<std::int64_t> parseI64(std::string_view s);
// "0"/"1" as the module prints them.
[[nodiscard]] std::optional<bool> parseBool01(std::string_view s);
// "key value" lines (memory.stat, cgroup.stat). Lines that do not parse are
// skipped; later duplicates win.
[[nodiscard]] std::map<std::string, std::uint64_t> parseKeyValues(std::string_view text);
// Unsigned decimals one per line (the module's scope file). Any bad line
// fails the whole parse.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> parseIdList(std::string_view text);

// Reads a one-value file and parses it with `parse` (parseU64, parseBool01,
// ...): a read error keeps its errno, a value that does not parse is a
// check error (errnum 0) naming the value and the path.
template <typename T>
Result<T> readParsed(const std::string& path, std::optional<T> (*parse)(std::string_view)) {
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto v = parse(*text);
  if (!v) {
    return checkError("unexpected value '" + std::string(trim(*text)) + "' in " + path);
  }
  return *v;
}

struct ProcCgroupsEntry {
  std::string subsys;
  std::uint64_t hierarchy = 0;
  std::uint64_t numCgroups = 0;
  bool enabled = false;
};
// /proc/cgroups: "#subsys_name hierarchy num_cgroups enabled".
[[nodiscard]] std::vector<ProcCgroupsEntry> parseProcCgroups(std::string_view text);
// One line of /proc/self/mountinfo (proc(5)): "ID PARENT MAJ:MIN ROOT
// MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS".
struct MountEntry {
  std::string root;        // the directory of the filesystem mounted there
  std::string mountPoint;  // unescaped
  std::string fsType;
  std::vector<std::string> superOptions;  // comma-separated in the file
};
// Lines that do not parse are skipped. The kernel writes space, tab,
// newline and backslash in paths as octal escapes (\040, \011, \012,
// \134): they are decoded.
[[nodiscard]] std::vector<MountEntry> parseMountinfo(std::string_view text);
// Decodes the kernel's octal escapes of a mountinfo field.
[[nodiscard]] std::string unescapeMountField(std::string_view field);
// Space-separated words (cgroup.controllers).
[[nodiscard]] std::vector<std::string> splitWords(std::string_view text);

}  // namespace rootcache
