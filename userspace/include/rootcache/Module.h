// SPDX-License-Identifier: GPL-2.0
// Client of the module's sysfs ABI, /sys/kernel/rootcache
// (Documentation/ABI/testing/sysfs-kernel-rootcache).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rootcache/Expected.h"
#include "rootcache/Fs.h"

namespace rootcache {

// The counters under stats/. The module's directory is the list: every
// regular file there is a counter, read as an unsigned decimal, so a counter
// added to the module is shown and exported without a change here. The ones
// this table knows (in ABI order) come with what they mean.
struct StatInfo {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::array<StatInfo, 12> kKnownStats = {{
    {"redirected_folios", "Folios whose charge went to the root memory cgroup since the module was loaded."},
    {"redirected_bytes", "Bytes of page cache charged to the root memory cgroup since the module was loaded."},
    {"skipped_unevictable", "Folios left with their normal charge: unevictable or memory-backed mapping."},
    {"skipped_not_regular", "Folios left with their normal charge: not a regular file's mapping."},
    {"skipped_out_of_scope", "Folios left with their normal charge: the task's cgroup is outside the scope."},
    {"redirected_inode_writeback", "Inodes whose cgroup writeback was attached to root."},
    {"redirect_failed",
     "Redirected folios found charged to a cgroup other than the one they were redirected to (root or the target)."},
    {"redirected_metadata_folios",
     "Of the redirected folios, those of filesystem metadata (block device, ext4 buddy cache)."},
    {"redirected_collapses",
     "PMD-sized folios that khugepaged or MADV_COLLAPSE made of redirected cache, charged to root."},
    {"target_fallbacks", "Redirections charged to root because the target cgroup (the cache pool) was removed."},
    {"probe_misses", "Times the probe could not run; such insertions were charged normally."},
    {"in_flight", "Insertions running with their charge redirected."},
}};
// The table entry of a counter, or nullptr for one this tool does not know.
[[nodiscard]] const StatInfo* knownStat(std::string_view name);

// hook_state: whether the module's probes work (checked by the kernel when
// read). An older module has no hook_state file: then the state is unknown,
// which is not a failure.
// kPartial: the insertion hook works, but an optional part of the hook
// could not be attached at load; hook_state names the missing parts after
// its first word ("partial collapse_file __inode_attach_wb").
enum class HookState { kOk, kPartial, kDisarmed, kFailed };
[[nodiscard]] std::string_view toString(HookState s);
// The first word of hook_state.
[[nodiscard]] std::optional<HookState> parseHookState(std::string_view text);
// The words after it: the functions of the missing optional parts.
[[nodiscard]] std::optional<std::vector<std::string>> parseHookMissing(std::string_view text);
// What a missing part costs the user, in one sentence.
[[nodiscard]] std::string explainHookMissing(std::string_view part);
// What a hook state that is not "ok" means and what to do, in one line.
[[nodiscard]] std::string explainHookState(HookState s);

// hook_mechanism: how the module hooks the insertion function (the file
// "hook" names). kFtrace: an ftrace call wrapper, the default where the
// kernel allows it; it has no instances, so it never misses a call and the
// maxactive module parameter does not size it. kKretprobe: a kretprobe,
// the fallback, sized by maxactive; calls beyond it are probe misses. An
// older module has no hook_mechanism file: then the mechanism is unknown.
enum class HookMechanism { kFtrace, kKretprobe };
[[nodiscard]] std::string_view toString(HookMechanism m);
[[nodiscard]] std::optional<HookMechanism> parseHookMechanism(std::string_view text);

struct ModuleState {
  std::string version;
  bool enabled = false;
  std::optional<bool> metadata;  // nullopt: no metadata file (older module)
  std::string hook;
  std::optional<HookMechanism> hookMechanism;       // nullopt: no hook_mechanism file (older module)
  std::optional<HookState> hookState;               // nullopt: no hook_state file (older module)
  std::vector<std::string> hookMissing;             // optional parts of the hook that are missing
  std::optional<std::vector<std::uint64_t>> scope;  // nullopt: no scope file
  std::optional<std::uint64_t> target;              // nullopt: no target file; 0: root
  std::map<std::string, std::uint64_t> stats;
};

// Scope commands as the kernel takes them.
enum class ScopeOp { kAdd, kDel, kClear };

class ModuleClient {
 public:
  explicit ModuleClient(const Roots& roots);

  [[nodiscard]] bool loaded() const;
  [[nodiscard]] const std::string& dir() const { return dir_; }

  // Everything readable. Fails (exit class environment) if not loaded, and
  // with the file's name if a value is garbage.
  [[nodiscard]] Result<ModuleState> read() const;
  [[nodiscard]] Result<bool> enabled() const;
  // nullopt when the module has no hook_state file.
  [[nodiscard]] Result<std::optional<HookState>> hookState() const;
  // nullopt when the module has no hook_mechanism file.
  [[nodiscard]] Result<std::optional<HookMechanism>> hookMechanism() const;
  [[nodiscard]] Result<std::vector<std::uint64_t>> scope() const;
  [[nodiscard]] Result<std::map<std::string, std::uint64_t>> stats() const;
  // The target (cache pool) cgroup ID, 0 for root; nullopt when the module
  // has no target file.
  [[nodiscard]] Result<std::optional<std::uint64_t>> target() const;

  [[nodiscard]] Status setEnabled(bool on) const;
  // One command per write(2). Kernel errors become messages that say what
  // they mean for the scope (EINVAL, ENOENT, ENOSPC).
  [[nodiscard]] Status writeScope(ScopeOp op, std::uint64_t id = 0) const;
  // Sets the target to cgroup `id` (0: root). Kernel errors become messages
  // (EINVAL, ENOENT, EOPNOTSUPP).
  [[nodiscard]] Status writeTarget(std::uint64_t id) const;

 private:
  [[nodiscard]] Status requireLoaded() const;
  std::string dir_;
};

// What a failed scope write means, for people (exposed for tests).
[[nodiscard]] Error explainScopeError(ScopeOp op, std::uint64_t id, const Error& e);

// What a failed target write means, for people (exposed for tests).
[[nodiscard]] Error explainTargetError(std::uint64_t id, const Error& e);

// Text for a scope command ("+5", "-5", "clear").
[[nodiscard]] std::string scopeCommand(ScopeOp op, std::uint64_t id);

}  // namespace rootcache
