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

// The counters under stats/, in ABI order. Each is optional: an older module
// may lack one, and then it is absent from the map.
inline constexpr std::array<std::string_view, 8> kStatNames = {
    "redirected_folios",    "redirected_bytes", "skipped_unevictable", "skipped_not_regular",
    "skipped_out_of_scope", "redirect_failed",  "probe_misses",        "in_flight",
};

// hook_state: whether the module's probes work (checked by the kernel when
// read). An older module has no hook_state file: then the state is unknown,
// which is not a failure.
enum class HookState { kOk, kDisarmed, kFailed };
[[nodiscard]] std::string_view toString(HookState s);
[[nodiscard]] std::optional<HookState> parseHookState(std::string_view text);
// What a hook state that is not "ok" means and what to do, in one line.
[[nodiscard]] std::string explainHookState(HookState s);

struct ModuleState {
  std::string version;
  bool enabled = false;
  std::string hook;
  std::optional<HookState> hookState;               // nullopt: no hook_state file (older module)
  std::optional<std::vector<std::uint64_t>> scope;  // nullopt: no scope file
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
  [[nodiscard]] Result<std::vector<std::uint64_t>> scope() const;
  [[nodiscard]] Result<std::map<std::string, std::uint64_t>> stats() const;

  [[nodiscard]] Status setEnabled(bool on) const;
  // One command per write(2). Kernel errors become messages that say what
  // they mean for the scope (EINVAL, ENOENT, ENOSPC).
  [[nodiscard]] Status writeScope(ScopeOp op, std::uint64_t id = 0) const;

 private:
  [[nodiscard]] Status requireLoaded() const;
  std::string dir_;
};

// What a failed scope write means, for people (exposed for tests).
[[nodiscard]] Error explainScopeError(ScopeOp op, std::uint64_t id, const Error& e);

// Text for a scope command ("+5", "-5", "clear").
[[nodiscard]] std::string scopeCommand(ScopeOp op, std::uint64_t id);

}  // namespace rootcache
