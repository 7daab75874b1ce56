// SPDX-License-Identifier: GPL-2.0
// The boot configuration, /etc/rootcache/rootcache.conf: the one place that
// says whether rootcache is enabled at boot. rootcache-apply
// (rootcache.service) reads it; enable/disable --persist edit its enabled=
// line in place; status reports what the next boot will do.
//
// The format, as rootcache-apply reads it: one "key=value" a line (blanks
// around '=' allowed), an optional "# comment" after the value, blank lines
// and lines starting with '#'. For a repeated key the last line wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rootcache/Expected.h"
#include "rootcache/Fs.h"

namespace rootcache {

// A value of enabled= as rootcache-apply takes it: 1 y Y yes on true, or
// 0 n N no off false; nullopt for anything else.
[[nodiscard]] std::optional<bool> parseBootBool(std::string_view value);

// The enabled= of a configuration text: nullopt when no line sets it
// (rootcache-apply's default, 1). A line that is none of the forms above,
// or an enabled= value it does not take, is a check error naming the line.
[[nodiscard]] Result<std::optional<bool>> bootEnabled(std::string_view text);

// `text` with every enabled= line's value replaced by `enabled` (0 or 1),
// their comments and every other line kept; without such a line,
// "enabled=N" is appended. A line that does not parse is a check error and
// nothing is returned. An enabled= value that does not parse is replaced.
[[nodiscard]] Result<std::string> withBootEnabled(std::string_view text, bool enabled);

// The text of a new rootcache.conf holding only `enabled`.
[[nodiscard]] std::string newBootConf(bool enabled);

// <etc>/rootcache/rootcache.conf.
[[nodiscard]] std::string bootConfPath(const Roots& roots);

// What the next boot does, from the file: nullopt enabled with `exists`
// false means the file is absent (rootcache-apply then enables).
struct BootState {
  std::string path;
  bool exists = false;
  std::optional<bool> enabled;  // the file's enabled=, nullopt when unset
};
[[nodiscard]] Result<BootState> readBootState(const Roots& roots);

// Sets enabled= in the file: edited in place when it exists (a regular file,
// never followed through a symlink), created (with its directory) when not;
// written atomically. Returns whether the file changed. On any error the
// file is left as it was.
[[nodiscard]] Result<bool> persistBootEnabled(const Roots& roots, bool enabled);

}  // namespace rootcache
