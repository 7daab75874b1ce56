// SPDX-License-Identifier: GPL-2.0
// A KernelFs for tests, installed for its lifetime. It answers from the
// fixture tree on disk through the system calls, except for:
// - failures: fail(op, path, errno) makes that operation on that exact path
//   fail with errno (EAGAIN, EBUSY, ENOSPC, ENOENT, EACCES, ...), every time
//   or the next `times` times;
// - virtual files: file(path, {a, b}) answers reads of path from memory, one
//   content per read and the last one from then on (a counter that moves),
//   and takes writes to it without touching the disk;
// - filesystem types: fsType(path, TMPFS_MAGIC) for statfs;
// - privileged(): root or not, whoever runs the tests.
// Every call is logged, so tests can check which steps ran and in what order.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rootcache/Fs.h"

namespace rootcache::test {

class FakeKernelFs final : public KernelFs {
 public:
  enum class Op { kRead, kWrite, kList, kMkdir, kRmdir, kStatfs };
  struct Call {
    Op op;
    std::string path;
    std::string data;  // what was written

    bool operator==(const Call&) const = default;
  };

  FakeKernelFs() = default;
  FakeKernelFs(const FakeKernelFs&) = delete;
  FakeKernelFs& operator=(const FakeKernelFs&) = delete;
  FakeKernelFs(FakeKernelFs&&) = delete;
  FakeKernelFs& operator=(FakeKernelFs&&) = delete;
  ~FakeKernelFs() override = default;

  // `op` on `path` fails with `errnum`: the next `times` calls, or every
  // call when times is 0. Failures given for the same call are used in turn.
  void fail(Op op, const std::string& path, int errnum, int times = 0) {
    failures_[{op, path}].push_back({errnum, times});
  }
  void file(const std::string& path, std::vector<std::string> contents) {
    files_[path] = std::deque<std::string>(contents.begin(), contents.end());
  }
  void fsType(const std::string& path, std::int64_t type) { fsTypes_[path] = type; }
  void setPrivileged(bool root) { privileged_ = root; }

  [[nodiscard]] const std::vector<Call>& calls() const { return calls_; }
  // What was written to `path`, in order.
  [[nodiscard]] std::vector<std::string> writesTo(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& c : calls_) {
      if (c.op == Op::kWrite && c.path == path) {
        out.push_back(c.data);
      }
    }
    return out;
  }
  // The calls of `op`, paths only, in order.
  [[nodiscard]] std::vector<std::string> paths(Op op) const {
    std::vector<std::string> out;
    for (const auto& c : calls_) {
      if (c.op == op) {
        out.push_back(c.path);
      }
    }
    return out;
  }

  [[nodiscard]] Result<std::string> read(const std::string& path) override {
    calls_.push_back({Op::kRead, path, {}});
    if (auto e = injected(Op::kRead, path)) {
      return systemError(e, "cannot open " + path);
    }
    if (auto it = files_.find(path); it != files_.end() && !it->second.empty()) {
      std::string content = it->second.front();
      if (it->second.size() > 1) {
        it->second.pop_front();
      }
      return content;
    }
    return systemKernelFs().read(path);
  }
  [[nodiscard]] Status write(const std::string& path, std::string_view data) override {
    calls_.push_back({Op::kWrite, path, std::string(data)});
    if (auto e = injected(Op::kWrite, path)) {
      return systemError(e, "cannot write '" + std::string(trim(data)) + "' to " + path);
    }
    if (files_.contains(path)) {
      return {};
    }
    return systemKernelFs().write(path, data);
  }
  [[nodiscard]] Result<std::vector<std::string>> listRegularFiles(const std::string& dir) override {
    calls_.push_back({Op::kList, dir, {}});
    if (auto e = injected(Op::kList, dir)) {
      return systemError(e, "cannot list " + dir);
    }
    return systemKernelFs().listRegularFiles(dir);
  }
  [[nodiscard]] Status makeDir(const std::string& path) override {
    calls_.push_back({Op::kMkdir, path, {}});
    if (auto e = injected(Op::kMkdir, path)) {
      return systemError(e, "cannot create directory " + path);
    }
    return systemKernelFs().makeDir(path);
  }
  [[nodiscard]] Status removeDir(const std::string& path) override {
    calls_.push_back({Op::kRmdir, path, {}});
    if (auto e = injected(Op::kRmdir, path)) {
      return systemError(e, "cannot remove directory " + path);
    }
    return systemKernelFs().removeDir(path);
  }
  [[nodiscard]] Result<std::int64_t> filesystemType(const std::string& path) override {
    calls_.push_back({Op::kStatfs, path, {}});
    if (auto e = injected(Op::kStatfs, path)) {
      return systemError(e, "cannot statfs " + path);
    }
    if (auto it = fsTypes_.find(path); it != fsTypes_.end()) {
      return it->second;
    }
    return systemKernelFs().filesystemType(path);
  }
  [[nodiscard]] bool privileged() override { return privileged_; }

 private:
  struct Failure {
    int errnum = 0;
    int times = 0;  // 0: every call
  };

  // The errno to fail `op` on `path` with, 0 for none.
  int injected(Op op, const std::string& path) {
    auto it = failures_.find({op, path});
    if (it == failures_.end() || it->second.empty()) {
      return 0;
    }
    Failure& f = it->second.front();
    int errnum = f.errnum;
    if (f.times > 0 && --f.times == 0) {
      it->second.pop_front();
    }
    return errnum;
  }

  std::map<std::pair<Op, std::string>, std::deque<Failure>> failures_;
  std::map<std::string, std::deque<std::string>> files_;
  std::map<std::string, std::int64_t> fsTypes_;
  std::vector<Call> calls_;
  bool privileged_ = true;
  ScopedKernelFs installed_{*this};  // last: installed once the rest exists
};

}  // namespace rootcache::test
