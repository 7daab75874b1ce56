// SPDX-License-Identifier: GPL-2.0
#include "rootcache/BootConf.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

namespace rootcache {

namespace {

constexpr std::string_view kEnabledKey = "enabled";
constexpr std::string_view kBootConfRel = "rootcache/rootcache.conf";

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}
bool isKeyStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isKeyChar(char c) {
  return isKeyStart(c) || (c >= '0' && c <= '9');
}

// One line of the file, without its newline. For a "key=value" line, key and
// the value's place in the line; otherwise (blank, comment) key is empty.
struct ConfLine {
  std::string_view key;
  std::size_t valueBegin = 0;
  std::size_t valueEnd = 0;
};

// nullopt: the line is none of the forms rootcache-apply reads.
std::optional<ConfLine> parseLine(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && isBlank(line[i])) {
    ++i;
  }
  if (i == line.size() || line[i] == '#') {
    return ConfLine{};
  }
  if (!isKeyStart(line[i])) {
    return std::nullopt;
  }
  const std::size_t keyBegin = i;
  while (i < line.size() && isKeyChar(line[i])) {
    ++i;
  }
  ConfLine out;
  out.key = line.substr(keyBegin, i - keyBegin);
  while (i < line.size() && isBlank(line[i])) {
    ++i;
  }
  if (i == line.size() || line[i] != '=') {
    return std::nullopt;
  }
  ++i;
  while (i < line.size() && isBlank(line[i])) {
    ++i;
  }
  out.valueBegin = i;
  while (i < line.size() && !isBlank(line[i]) && line[i] != '#') {
    ++i;
  }
  out.valueEnd = i;
  while (i < line.size() && isBlank(line[i])) {
    ++i;
  }
  if (i != line.size() && line[i] != '#') {
    return std::nullopt;
  }
  return out;
}

// The lines of `text` (a last line without a newline included).
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

Error unparsable(std::size_t lineNo, std::string_view line) {
  return checkError(
      fmt::format("line {}: cannot parse '{}' (expected key=value, a # comment or a blank line)", lineNo, line));
}

}  // namespace

std::optional<bool> parseBootBool(std::string_view value) {
  for (std::string_view yes : {"1", "y", "Y", "yes", "on", "true"}) {
    if (value == yes) {
      return true;
    }
  }
  for (std::string_view no : {"0", "n", "N", "no", "off", "false"}) {
    if (value == no) {
      return false;
    }
  }
  return std::nullopt;
}

Result<std::optional<bool>> bootEnabled(std::string_view text) {
  std::optional<bool> enabled;
  std::size_t lineNo = 0;
  for (std::string_view line : splitLines(text)) {
    ++lineNo;
    auto parsed = parseLine(line);
    if (!parsed) {
      return unparsable(lineNo, line);
    }
    if (parsed->key != kEnabledKey || parsed->valueBegin == parsed->valueEnd) {
      continue;  // an empty value sets nothing, as in rootcache-apply
    }
    std::string_view value = line.substr(parsed->valueBegin, parsed->valueEnd - parsed->valueBegin);
    auto v = parseBootBool(value);
    if (!v) {
      return checkError(fmt::format("line {}: enabled={}: expected 0 or 1", lineNo, value));
    }
    enabled = *v;
  }
  return enabled;
}

Result<std::string> withBootEnabled(std::string_view text, bool enabled) {
  const std::string_view value = enabled ? "1" : "0";
  std::string out;
  bool found = false;
  std::size_t lineNo = 0;
  for (std::string_view line : splitLines(text)) {
    ++lineNo;
    auto parsed = parseLine(line);
    if (!parsed) {
      return unparsable(lineNo, line);
    }
    if (parsed->key == kEnabledKey) {
      found = true;
      out += line.substr(0, parsed->valueBegin);
      out += value;
      out += line.substr(parsed->valueEnd);
    } else {
      out += line;
    }
    out += '\n';
  }
  if (!found) {
    out += fmt::format("{}={}\n", kEnabledKey, value);
  }
  return out;
}

std::string newBootConf(bool enabled) {
  return fmt::format(
      "# /etc/rootcache/rootcache.conf: read by rootcache-apply (rootcache.service) at boot.\n"
      "# Written by rootcachectl {} --persist.\n"
      "enabled={}\n",
      enabled ? "enable" : "disable", enabled ? 1 : 0);
}

std::string bootConfPath(const Roots& roots) {
  return joinPath(roots.etc, kBootConfRel);
}

Result<BootState> readBootState(const Roots& roots) {
  BootState st;
  st.path = bootConfPath(roots);
  struct stat sb {};
  if (::lstat(st.path.c_str(), &sb) != 0) {
    if (errno == ENOENT) {
      return st;
    }
    return systemError(errno, "cannot stat " + st.path);
  }
  st.exists = true;
  auto text = readFile(st.path);
  if (!text) {
    return text.error();
  }
  auto enabled = bootEnabled(*text);
  if (!enabled) {
    return checkError(st.path + ": " + enabled.error().message);
  }
  st.enabled = *enabled;
  return st;
}

Result<bool> persistBootEnabled(const Roots& roots, bool enabled) {
  const std::string path = bootConfPath(roots);
  struct stat sb {};
  if (::lstat(path.c_str(), &sb) != 0) {
    if (errno != ENOENT) {
      return systemError(errno, "cannot stat " + path);
    }
    const std::string dir = path.substr(0, path.rfind('/'));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return systemError(errno, "cannot create " + dir);
    }
    if (Status s = writeFileAtomic(path, newBootConf(enabled)); !s) {
      return s.error();
    }
    return true;
  }
  if (S_ISLNK(sb.st_mode)) {
    return checkError(
        fmt::format("refusing to edit {}: it is a symbolic link (edit the file it points to by hand)", path));
  }
  if (!S_ISREG(sb.st_mode)) {
    return checkError(fmt::format("refusing to edit {}: not a regular file", path));
  }
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto edited = withBootEnabled(*text, enabled);
  if (!edited) {
    return checkError(fmt::format("refusing to edit {}: {}; nothing changed", path, edited.error().message));
  }
  if (*edited == *text) {
    return false;
  }
  if (Status s = writeFileAtomic(path, *edited); !s) {
    return s.error();
  }
  return true;
}

}  // namespace rootcache
