// SPDX-License-Identifier: GPL-2.0
#include "rootcache/Fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace rootcache {

std::string joinPath(std::string_view base, std::string_view rel) {
  std::string out(base);
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  while (!rel.empty() && rel.front() == '/') {
    rel.remove_prefix(1);
  }
  if (rel.empty()) {
    return out;
  }
  if (out.empty() || out.back() != '/') {
    out.push_back('/');
  }
  out.append(rel);
  return out;
}

namespace {

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

Result<std::string> readDirect(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd.get() < 0) {
    return systemError(errno, "cannot open " + path);
  }
  std::string out;
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return systemError(errno, "cannot read " + path);
    }
    if (n == 0) {
      break;
    }
    out.append(buf.data(), static_cast<size_t>(n));
    if (out.size() > (std::size_t{16} << 20)) {
      return systemError(EFBIG, "file too large: " + path);
    }
  }
  return out;
}

Status writeDirect(const std::string& path, std::string_view data) {
  // O_TRUNC as a shell redirection does: sysfs and cgroupfs ignore it.
  Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd.get() < 0) {
    return systemError(errno, "cannot open " + path + " for writing");
  }
  ssize_t n = 0;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return systemError(errno, "cannot write '" + std::string(trim(data)) + "' to " + path);
  }
  if (static_cast<size_t>(n) != data.size()) {
    return systemError(EIO, "short write to " + path);
  }
  return {};
}

Result<std::vector<std::string>> listDirect(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return systemError(errno, "cannot list " + dir);
  }
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    std::string name(static_cast<const char*>(e->d_name));
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      regular = ::stat(joinPath(dir, name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
    }
    if (regular) {
      out.push_back(std::move(name));
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Status makeDirDirect(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) {
    return systemError(errno, "cannot create directory " + path);
  }
  return {};
}

Status removeDirDirect(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) {
    return systemError(errno, "cannot remove directory " + path);
  }
  return {};
}

Result<std::int64_t> filesystemTypeDirect(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) {
    return systemError(errno, "cannot statfs " + path);
  }
  return static_cast<std::int64_t>(fs.f_type);
}

class SystemKernelFs final : public KernelFs {
 public:
  [[nodiscard]] Result<std::string> read(const std::string& path) override { return readDirect(path); }
  [[nodiscard]] Status write(const std::string& path, std::string_view data) override {
    return writeDirect(path, data);
  }
  [[nodiscard]] Result<std::vector<std::string>> listRegularFiles(const std::string& dir) override {
    return listDirect(dir);
  }
  [[nodiscard]] Status makeDir(const std::string& path) override { return makeDirDirect(path); }
  [[nodiscard]] Status removeDir(const std::string& path) override { return removeDirDirect(path); }
  [[nodiscard]] Result<std::int64_t> filesystemType(const std::string& path) override {
    return filesystemTypeDirect(path);
  }
  [[nodiscard]] bool privileged() override { return ::geteuid() == 0; }
};

// The KernelFs in use; only ScopedKernelFs changes it.
KernelFs*& current() {
  static KernelFs* fs = &systemKernelFs();
  return fs;
}

}  // namespace

KernelFs& systemKernelFs() {
  static SystemKernelFs fs;
  return fs;
}

KernelFs& kernelFs() {
  return *current();
}

ScopedKernelFs::ScopedKernelFs(KernelFs& fs) : previous_(current()) {
  current() = &fs;
}

ScopedKernelFs::~ScopedKernelFs() {
  current() = previous_;
}

Result<std::string> readFile(const std::string& path) {
  return kernelFs().read(path);
}

Status writeFile(const std::string& path, std::string_view data) {
  return kernelFs().write(path, data);
}

Result<std::vector<std::string>> listRegularFiles(const std::string& dir) {
  return kernelFs().listRegularFiles(dir);
}

Status makeDir(const std::string& path) {
  return kernelFs().makeDir(path);
}

Status removeDir(const std::string& path) {
  return kernelFs().removeDir(path);
}

Result<std::int64_t> filesystemType(const std::string& path) {
  return kernelFs().filesystemType(path);
}

bool privileged() {
  return kernelFs().privileged();
}

Status writeFileAtomic(const std::string& path, std::string_view data) {
  // mkostemp: a random name, created with O_CREAT | O_EXCL, so a file or
  // symlink planted in the directory is never followed or truncated.
  std::string tmp = path + ".XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return systemError(errno, "cannot create a temporary file " + tmp);
  }
  auto fail = [&tmp](int err, const std::string& what) {
    ::unlink(tmp.c_str());
    return systemError(err, what + " " + tmp);
  };
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errno, "cannot write");
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  // mkostemp creates 0600; the file is read by others (node_exporter).
  if (::fchmod(fd.get(), 0644) != 0) {
    return fail(errno, "cannot chmod");
  }
  if (::fsync(fd.get()) != 0) {
    return fail(errno, "cannot fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return systemError(err, "cannot rename " + tmp + " to " + path);
  }
  // Make the rename durable; a failure here does not undo it.
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  Fd dirFd(::open(dir.empty() ? "." : dir.c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (dirFd.get() >= 0) {
    (void)::fsync(dirFd.get());
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::uint64_t> inodeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return systemError(errno, "cannot stat " + path);
  }
  return static_cast<std::uint64_t>(st.st_ino);
}

Result<std::vector<std::string>> listDirsRecursive(const std::string& dir) {
  std::vector<std::string> out;
  std::function<Status(const std::string&)> walk = [&](const std::string& rel) -> Status {
    std::string abs = joinPath(dir, rel);
    DIR* d = ::opendir(abs.c_str());
    if (d == nullptr) {
      // A cgroup removed while we walk is not an error.
      if (errno == ENOENT && !rel.empty()) {
        return {};
      }
      return systemError(errno, "cannot list " + abs);
    }
    std::vector<std::string> children;
    while (struct dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
      std::string_view name(static_cast<const char*>(e->d_name));
      if (name == "." || name == "..") {
        continue;
      }
      std::string childRel = rel.empty() ? std::string(name) : rel + "/" + std::string(name);
      bool dirEntry = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        dirEntry = isDirectory(joinPath(dir, childRel));
      }
      if (dirEntry) {
        children.push_back(childRel);
      }
    }
    ::closedir(d);
    for (const auto& c : children) {
      out.push_back(c);
      if (Status s = walk(c); !s) {
        return s;
      }
    }
    return {};
  };
  if (Status s = walk(""); !s) {
    return s.error();
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string_view trim(std::string_view s) {
  auto isSpace = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::uint64_t> parseU64(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.front() < '0' || s.front() > '9') {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> parseI64(std::string_view s) {
  s = trim(s);
  if (s.empty()) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> parseBool01(std::string_view s) {
  s = trim(s);
  if (s == "1") {
    return true;
  }
  if (s == "0") {
    return false;
  }
  return std::nullopt;
}

namespace {

// Calls fn(line) for each line of text.
template <typename Fn>
void forEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    fn(line);
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

std::vector<std::string> splitWords(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) {
      ++i;
    }
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') {
      ++i;
    }
    if (i > start) {
      out.emplace_back(text.substr(start, i - start));
    }
  }
  return out;
}

std::map<std::string, std::uint64_t> parseKeyValues(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  forEachLine(text, [&](std::string_view line) {
    auto words = splitWords(line);
    if (words.size() != 2) {
      return;
    }
    if (auto v = parseU64(words[1])) {
      out[words[0]] = *v;
    }
  });
  return out;
}

std::optional<std::vector<std::uint64_t>> parseIdList(std::string_view text) {
  std::vector<std::uint64_t> out;
  bool bad = false;
  forEachLine(text, [&](std::string_view line) {
    if (trim(line).empty()) {
      return;
    }
    auto v = parseU64(line);
    if (!v || *v == 0) {
      bad = true;
      return;
    }
    out.push_back(*v);
  });
  if (bad) {
    return std::nullopt;
  }
  return out;
}

std::vector<ProcCgroupsEntry> parseProcCgroups(std::string_view text) {
  std::vector<ProcCgroupsEntry> out;
  forEachLine(text, [&](std::string_view line) {
    if (line.empty() || line.front() == '#') {
      return;
    }
    auto words = splitWords(line);
    if (words.size() != 4) {
      return;
    }
    auto h = parseU64(words[1]);
    auto n = parseU64(words[2]);
    auto en = parseU64(words[3]);
    if (!h || !n || !en) {
      return;
    }
    out.push_back(ProcCgroupsEntry{words[0], *h, *n, *en != 0});
  });
  return out;
}

std::string unescapeMountField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  auto isOctal = [](char c) { return c >= '0' && c <= '7'; };
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && isOctal(field[i + 1]) && isOctal(field[i + 2]) &&
        isOctal(field[i + 3])) {
      out.push_back(
          static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

std::vector<MountEntry> parseMountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  forEachLine(text, [&](std::string_view line) {
    // Fields are separated by single spaces; paths never hold a raw one.
    auto words = splitWords(line);
    auto dash = std::find(words.begin(), words.end(), "-");
    // Six fields before the optional ones, three after the separator.
    if (words.size() < 10 || dash == words.end() || dash - words.begin() < 6 || words.end() - dash < 4) {
      return;
    }
    MountEntry e;
    e.root = unescapeMountField(words[3]);
    e.mountPoint = unescapeMountField(words[4]);
    e.fsType = *(dash + 1);
    std::string_view opts(*(dash + 3));
    while (!opts.empty()) {
      size_t comma = opts.find(',');
      if (comma != 0) {
        e.superOptions.emplace_back(opts.substr(0, comma));
      }
      opts.remove_prefix(comma == std::string_view::npos ? opts.size() : comma + 1);
    }
    out.push_back(std::move(e));
  });
  return out;
}

}  // namespace rootcache
