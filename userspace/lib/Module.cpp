// SPDX-License-Identifier: GPL-2.0
#include "rootcache/Module.h"

#include <fmt/format.h>

namespace rootcache {

ModuleClient::ModuleClient(const Roots& roots) : dir_(joinPath(roots.sysfs, files::kModuleDir)) {}

bool ModuleClient::loaded() const {
  return isDirectory(dir_);
}

Status ModuleClient::requireLoaded() const {
  if (!loaded()) {
    return environmentError("rootcache module not loaded (" + dir_ + " missing); load it with: modprobe rootcache");
  }
  return {};
}

Result<bool> ModuleClient::enabled() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  return readParsed(joinPath(dir_, files::kEnabled), parseBool01);
}

std::string_view toString(HookState s) {
  switch (s) {
    case HookState::kOk:
      return "ok";
    case HookState::kPartial:
      return "partial";
    case HookState::kDisarmed:
      return "disarmed";
    case HookState::kFailed:
      break;
  }
  return "failed";
}

std::optional<HookState> parseHookState(std::string_view text) {
  text = trim(text);
  text = text.substr(0, text.find(' '));
  for (HookState s : {HookState::kOk, HookState::kPartial, HookState::kDisarmed, HookState::kFailed}) {
    if (text == toString(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> parseHookMissing(std::string_view text) {
  if (!parseHookState(text)) {
    return std::nullopt;
  }
  text = trim(text);
  std::vector<std::string> parts;
  std::size_t pos = text.find(' ');
  while (pos != std::string_view::npos) {
    text.remove_prefix(pos + 1);
    pos = text.find(' ');
    if (std::string_view word = text.substr(0, pos); !word.empty()) {
      parts.emplace_back(word);
    }
  }
  return parts;
}

std::string explainHookMissing(std::string_view part) {
  if (part == "collapse_file") {
    return "collapse_file: huge-page collapses (khugepaged, MADV_COLLAPSE) of redirected file cache are charged to "
           "the process that maps the file, 2 MiB at a time";
  }
  if (part == "__inode_attach_wb") {
    return "__inode_attach_wb: inodes a job dirties before they have a page (new files, atime updates) keep its "
           "removed cgroup dying until their writeback (cgroup v2)";
  }
  return fmt::format("{}: an optional part of the hook is missing (see dmesg)", part);
}

std::string explainHookState(HookState s) {
  switch (s) {
    case HookState::kOk:
      return "hook ok";
    case HookState::kPartial:
      return "hook partial: the insertion hook works, but an optional part of it could not be attached at load "
             "(see dmesg)";
    case HookState::kDisarmed:
      // Either stops the module: its kprobes, and with ftrace_enabled 0 also
      // the ftrace wrapper and every kprobe on a function entry.
      return "hook disarmed: the kernel stopped the module's probes, nothing is redirected: kprobes are disarmed "
             "(see /sys/kernel/debug/kprobes/enabled) or ftrace is off (sysctl kernel.ftrace_enabled); "
             "re-arm them with: echo 1 > /sys/kernel/debug/kprobes/enabled; sysctl -w kernel.ftrace_enabled=1";
    case HookState::kFailed:
      break;
  }
  return "hook failed: the kernel's charge path does not honour the hook; the module switched itself off "
         "(see dmesg; reload it only on a fixed or supported kernel)";
}

namespace {

// A file newer modules have: absent (an older module) reads as unknown, not as an error.
template <typename T>
Result<std::optional<T>> readIfPresent(const std::string& path, std::optional<T> (*parse)(std::string_view)) {
  auto v = readParsed(path, parse);
  if (!v) {
    if (v.error().errnum == ENOENT) {
      return std::optional<T>();
    }
    return v.error();
  }
  return std::optional<T>(*v);
}

}  // namespace

Result<std::optional<HookState>> ModuleClient::hookState() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  return readIfPresent(joinPath(dir_, files::kHookState), parseHookState);
}

std::string_view toString(HookMechanism m) {
  switch (m) {
    case HookMechanism::kFtrace:
      return "ftrace";
    case HookMechanism::kKretprobe:
      break;
  }
  return "kretprobe";
}

std::optional<HookMechanism> parseHookMechanism(std::string_view text) {
  text = trim(text);
  for (HookMechanism m : {HookMechanism::kFtrace, HookMechanism::kKretprobe}) {
    if (text == toString(m)) {
      return m;
    }
  }
  return std::nullopt;
}

Result<std::optional<HookMechanism>> ModuleClient::hookMechanism() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  return readIfPresent(joinPath(dir_, files::kHookMechanism), parseHookMechanism);
}

Result<std::vector<std::uint64_t>> ModuleClient::scope() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  std::string path = joinPath(dir_, files::kScope);
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto ids = parseIdList(*text);
  if (!ids) {
    return checkError("unexpected content in " + path);
  }
  return *ids;
}

Result<std::optional<std::uint64_t>> ModuleClient::target() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  return readIfPresent(joinPath(dir_, files::kTarget), parseU64);
}

const StatInfo* knownStat(std::string_view name) {
  for (const auto& info : kKnownStats) {
    if (info.name == name) {
      return &info;
    }
  }
  return nullptr;
}

Result<std::map<std::string, std::uint64_t>> ModuleClient::stats() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  std::map<std::string, std::uint64_t> out;
  std::string statsDir = joinPath(dir_, files::kStatsDir);
  auto names = listRegularFiles(statsDir);
  if (!names) {
    if (names.error().errnum == ENOENT) {
      return out;  // a module without counters
    }
    return names.error();
  }
  for (const auto& name : *names) {
    auto v = readParsed(joinPath(statsDir, name), parseU64);
    if (!v) {
      if (v.error().errnum == ENOENT) {
        continue;  // gone since the listing (module unloading)
      }
      return v.error();
    }
    out.emplace(name, *v);
  }
  return out;
}

Result<ModuleState> ModuleClient::read() const {
  if (Status s = requireLoaded(); !s) {
    return s.error();
  }
  ModuleState st;
  auto version = readFile(joinPath(dir_, files::kVersion));
  if (!version) {
    return version.error();
  }
  st.version = std::string(trim(*version));
  auto hook = readFile(joinPath(dir_, files::kHook));
  st.hook = hook ? std::string(trim(*hook)) : std::string();
  auto mech = hookMechanism();
  if (!mech) {
    return mech.error();
  }
  st.hookMechanism = *mech;
  auto en = enabled();
  if (!en) {
    return en.error();
  }
  st.enabled = *en;
  if (std::string path = joinPath(dir_, files::kMetadata); exists(path)) {
    auto md = readParsed(path, parseBool01);
    if (!md) {
      return md.error();
    }
    st.metadata = *md;
  }
  auto hs = hookState();
  if (!hs) {
    return hs.error();
  }
  st.hookState = *hs;
  if (*hs) {
    auto missing = readIfPresent(joinPath(dir_, files::kHookState), parseHookMissing);
    if (!missing) {
      return missing.error();
    }
    if (*missing) {
      st.hookMissing = **missing;
    }
  }
  if (exists(joinPath(dir_, files::kScope))) {
    auto sc = scope();
    if (!sc) {
      return sc.error();
    }
    st.scope = *sc;
  }
  auto target = this->target();
  if (!target) {
    return target.error();
  }
  st.target = *target;
  auto stats = this->stats();
  if (!stats) {
    return stats.error();
  }
  st.stats = *stats;
  return st;
}

Status ModuleClient::setEnabled(bool on) const {
  if (Status s = requireLoaded(); !s) {
    return s;
  }
  Status s = writeFile(joinPath(dir_, files::kEnabled), on ? "1\n" : "0\n");
  if (!s && s.error().exit == Exit::kEnvironment) {
    return environmentError("changing rootcache needs root: " + s.error().describe());
  }
  return s;
}

std::string scopeCommand(ScopeOp op, std::uint64_t id) {
  switch (op) {
    case ScopeOp::kAdd:
      return fmt::format("+{}\n", id);
    case ScopeOp::kDel:
      return fmt::format("-{}\n", id);
    case ScopeOp::kClear:
      break;
  }
  return "clear\n";
}

Status ModuleClient::writeScope(ScopeOp op, std::uint64_t id) const {
  if (Status s = requireLoaded(); !s) {
    return s;
  }
  std::string path = joinPath(dir_, files::kScope);
  if (!exists(path)) {
    return environmentError("this rootcache module has no scope support (" + path + " missing)");
  }
  Status s = writeFile(path, scopeCommand(op, id));
  if (s) {
    return s;
  }
  return explainScopeError(op, id, s.error());
}

Status ModuleClient::writeTarget(std::uint64_t id) const {
  if (Status s = requireLoaded(); !s) {
    return s;
  }
  std::string path = joinPath(dir_, files::kTarget);
  if (!exists(path)) {
    return environmentError("this rootcache module has no target support (" + path + " missing)");
  }
  Status s = writeFile(path, fmt::format("{}\n", id));
  if (s) {
    return s;
  }
  return explainTargetError(id, s.error());
}

Error explainTargetError(std::uint64_t id, const Error& e) {
  switch (e.errnum) {
    case EACCES:
    case EPERM:
      return environmentError("changing the target needs root: " + e.describe());
    case ENOENT:
      return Error{e.errnum,
                   fmt::format("cgroup ID {} is not a live memory cgroup (on cgroup v2, enable the memory controller "
                               "in its parent's cgroup.subtree_control)",
                               id),
                   Exit::kCheckFailed};
    case EOPNOTSUPP:
      return Error{e.errnum,
                   "this kernel cannot charge redirected cache to a cgroup other than root (5.10 to 5.13: the "
                   "charge there ignores active_memcg); only root is supported",
                   Exit::kCheckFailed};
    case EINVAL:
      return Error{e.errnum, fmt::format("module refused target '{}'", id), Exit::kCheckFailed};
    default:
      return e;
  }
}

Error explainScopeError(ScopeOp op, std::uint64_t id, const Error& e) {
  switch (e.errnum) {
    case EACCES:
    case EPERM:
      return environmentError("changing the scope needs root: " + e.describe());
    case ENOENT:
      return Error{e.errnum,
                   op == ScopeOp::kAdd ? fmt::format("cgroup ID {} is not a live memory cgroup", id)
                                       : fmt::format("cgroup ID {} is not in the scope", id),
                   Exit::kCheckFailed};
    case ENOSPC:
      return Error{e.errnum, fmt::format("scope is full, cannot add cgroup ID {}", id), Exit::kCheckFailed};
    case EINVAL:
      return Error{e.errnum, fmt::format("module refused scope command '{}'", trim(scopeCommand(op, id))),
                   Exit::kCheckFailed};
    default:
      return e;
  }
}

}  // namespace rootcache
