// SPDX-License-Identifier: GPL-2.0
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "rootcache/BootConf.h"
#include "rootcache/Commands.h"

namespace rootcache {

namespace {

// The files rootcachectl --persist wrote before the boot configuration moved
// to /etc/rootcache/rootcache.conf: an "options rootcache enabled=1" there
// would load the module enabled before the scope is set, so --persist
// removes them (only when they start with kPersistHeader, i.e. the tool
// wrote them). Returns the paths removed.
Result<std::vector<std::string>> removeLegacyFiles(const Roots& roots) {
  std::vector<std::string> removed;
  for (std::string_view rel : {files::kLegacyModprobeConf, files::kLegacyModulesLoadConf}) {
    const std::string path = joinPath(roots.etc, rel);
    if (!exists(path)) {
      continue;
    }
    auto text = readFile(path);
    if (!text) {
      return text.error();
    }
    if (text->rfind(kPersistHeader, 0) != 0) {
      continue;  // an administrator's file of that name: not ours to remove
    }
    if (::unlink(path.c_str()) != 0) {
      return systemError(errno, "cannot remove " + path);
    }
    removed.push_back(path);
  }
  return removed;
}

// --persist: enabled= in the boot configuration, then the legacy files.
// On an error nothing of the boot configuration has changed.
Output persist(const Roots& roots, bool enable) {
  Output out;
  const std::string path = bootConfPath(roots);
  auto changed = persistBootEnabled(roots, enable);
  if (!changed) {
    Error e = changed.error();
    if (e.exit == Exit::kEnvironment) {
      e.message = "--persist needs root: " + e.message;
    }
    return errorOutput(e);
  }
  const int value = enable ? 1 : 0;
  out.json["persist"] = {{"file", path}, {"enabled", enable}, {"changed", *changed}};
  out.text += fmt::format("{} enabled={} in {}: rootcache.service applies it at every boot\n",
                          *changed ? "wrote" : "already", value, escapeName(path));
  auto legacy = removeLegacyFiles(roots);
  if (!legacy) {
    Output err = errorOutput(legacy.error());
    out.json.update(err.json);
    out.errors += err.errors;
    out.exit = err.exit;
    return out;
  }
  out.json["persist"]["removed"] = *legacy;
  for (const auto& f : *legacy) {
    out.text += fmt::format("removed {} (written by an older rootcachectl)\n", escapeName(f));
  }
  return out;
}

}  // namespace

Output runEnable(const Roots& roots, const EnableOptions& opts) {
  Output out;
  const char* verb = opts.enable ? "enable" : "disable";
  out.json["action"] = verb;
  ModuleClient mod(roots);

  if (opts.persist) {
    Output p = persist(roots, opts.enable);
    if (p.exit != Exit::kOk) {
      return p;
    }
    out.json.update(p.json);
    out.text += p.text;
  }

  if (!mod.loaded()) {
    Error e =
        environmentError(opts.enable ? "rootcache module not loaded; load it enabled with: modprobe rootcache enabled=1"
                                     : "rootcache module not loaded (page cache is charged normally)");
    if (!opts.enable) {
      // Nothing to turn off: the goal state already holds.
      out.json["enabled"] = false;
      out.json["loaded"] = false;
      out.text += "rootcache module not loaded: nothing to disable\n";
      return out;
    }
    Output err = errorOutput(e);
    out.json.update(err.json);
    out.errors += err.errors;
    out.exit = err.exit;
    return out;
  }
  if (Status s = mod.setEnabled(opts.enable); !s) {
    Output err = errorOutput(s.error());
    out.json.update(err.json);
    out.errors += err.errors;
    out.exit = err.exit;
    return out;
  }
  auto now = mod.enabled();
  if (!now) {
    return errorOutput(now.error());
  }
  out.json["loaded"] = true;
  out.json["enabled"] = *now;
  if (*now != opts.enable) {
    out.text += fmt::format("rootcache did not change: enabled reads {}\n", *now ? 1 : 0);
    out.exit = Exit::kCheckFailed;
    return out;
  }
  out.text += fmt::format("rootcache {}\n", opts.enable ? "enabled: new page cache is charged to the root cgroup"
                                                        : "disabled: new page cache is charged normally");
  return out;
}

}  // namespace rootcache
