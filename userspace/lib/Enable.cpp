// SPDX-License-Identifier: GPL-2.0
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootcache/Commands.h"

namespace rootcache {

std::string modprobeConfText(bool enabled) {
  return fmt::format(
      "{} (enable --persist): it rewrites or removes this file.\n"
      "# Put your own options for rootcache in another file of this directory.\n"
      "options rootcache enabled={}\n",
      kPersistHeader, enabled ? 1 : 0);
}

std::string modulesLoadConfText() {
  return fmt::format("{} (enable --persist): load rootcache at boot.\nrootcache\n", kPersistHeader);
}

namespace {

// Whether the file at `path` starts with the header the tool writes.
Result<bool> writtenByUs(const std::string& path) {
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  return text->rfind(kPersistHeader, 0) == 0;
}

// enable --persist writes both files; disable --persist removes both. A file
// of that name the tool did not write (no header) is never changed: the
// whole operation is refused before anything is written.
Result<std::vector<std::string>> persist(const Roots& roots, bool enable) {
  const std::pair<std::string_view, std::string> entries[] = {
      {files::kModprobeConf, modprobeConfText(true)},
      {files::kModulesLoadConf, modulesLoadConfText()},
  };
  for (const auto& [rel, text] : entries) {
    std::string path = joinPath(roots.etc, rel);
    if (!exists(path)) {
      continue;
    }
    auto ours = writtenByUs(path);
    if (!ours) {
      return ours.error();
    }
    if (!*ours) {
      return checkError(fmt::format(
          "refusing to {} {}: rootcachectl did not write it (its first line is not \"{}\"); move it away or "
          "edit it by hand",
          enable ? "overwrite" : "remove", path, kPersistHeader));
    }
  }
  std::vector<std::string> changed;
  for (const auto& [rel, text] : entries) {
    std::string path = joinPath(roots.etc, rel);
    if (enable) {
      std::string dir = path.substr(0, path.rfind('/'));
      if (!isDirectory(dir) && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return systemError(errno, "cannot create " + dir);
      }
      if (Status s = writeFileAtomic(path, text); !s) {
        return s.error();
      }
      changed.push_back(path);
    } else if (exists(path)) {
      if (::unlink(path.c_str()) != 0) {
        return systemError(errno, "cannot remove " + path);
      }
      changed.push_back(path);
    }
  }
  return changed;
}

}  // namespace

Output runEnable(const Roots& roots, const EnableOptions& opts) {
  Output out;
  const char* verb = opts.enable ? "enable" : "disable";
  out.json["action"] = verb;
  ModuleClient mod(roots);

  if (opts.persist) {
    auto changed = persist(roots, opts.enable);
    if (!changed) {
      Error e = changed.error();
      if (e.exit == Exit::kEnvironment) {
        e.message = "--persist needs root: " + e.message;
      }
      return errorOutput(e);
    }
    out.json["persist"] = {{"files", *changed}, {"written", opts.enable}};
    for (const auto& f : *changed) {
      out.text += fmt::format("{} {}\n", opts.enable ? "wrote" : "removed", f);
    }
    if (changed->empty()) {
      out.text += "no persistent configuration to remove\n";
    }
    if (!opts.enable) {
      // The package's (or an admin's) file is not ours: say that it stays.
      std::string other = joinPath(roots.etc, files::kPackageModprobeConf);
      if (exists(other)) {
        out.json["persist"]["unchanged"] = other;
        out.text += fmt::format("left {} unchanged (not written by rootcachectl): check its options\n", other);
      }
    }
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
