// SPDX-License-Identifier: GPL-2.0
// verify: an end-to-end proof on a live node. A child in a scratch cgroup
// writes a fresh file, drops it from the cache and reads it back (so both
// the write and the read path insert page cache); then we compare the
// charges the kernel reports and count dying memcgs after removing the
// cgroup (after a second one, "turnover", has charged on each CPU:
// childChargeEachCpu). The decision is a pure function of the numbers
// (decideVerify). The scratch cgroups live in a private parent of verify's
// own, so that on v2 the dying count is of verify's cgroups alone. Every
// exit, SIGINT, SIGTERM and SIGHUP included, removes them and the file.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "rootcache/Commands.h"
#include "rootcache/Drain.h"

namespace rootcache {

std::string_view toString(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kInfo:
      break;
  }
  return "INFO";
}

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

std::string delta(std::uint64_t before, std::uint64_t after) {
  if (after >= before) {
    return "+" + humanBytes(after - before);
  }
  return "-" + humanBytes(before - after);
}

}  // namespace

VerifyDecision decideVerify(const VerifyMeasurement& m) {
  VerifyDecision d;
  const bool redirect = m.enabled && m.inScope;
  // Writes add a few metadata pages (block device cache) that stay with the
  // job: allow a tenth of the file, at least 2 MiB.
  const std::uint64_t tol = std::max<std::uint64_t>(m.sizeBytes / 10, 2 * kMiB);
  const std::uint64_t redirected = m.redirectedAfter > m.redirectedBefore ? m.redirectedAfter - m.redirectedBefore : 0;
  const std::uint64_t mostOfFile = m.sizeBytes - m.sizeBytes / 10;

  // 1. The job cgroup's own file charge.
  if (redirect) {
    d.checks.push_back({"job cgroup file charge", "<= " + humanBytes(tol), humanBytes(m.childFileBytes),
                        m.childFileBytes <= tol ? Verdict::kPass : Verdict::kFail});
  } else {
    d.checks.push_back({"job cgroup file charge", ">= " + humanBytes(m.sizeBytes / 2), humanBytes(m.childFileBytes),
                        m.childFileBytes >= m.sizeBytes / 2 ? Verdict::kPass : Verdict::kFail});
  }

  // 2. The module's own counter.
  if (redirect) {
    d.checks.push_back({"module redirected_bytes", ">= +" + humanBytes(mostOfFile), "+" + humanBytes(redirected),
                        redirected >= mostOfFile ? Verdict::kPass : Verdict::kFail});
  } else if (!m.enabled) {
    d.checks.push_back({"module redirected_bytes", "+0 (disabled)", "+" + humanBytes(redirected),
                        redirected <= tol ? Verdict::kPass : Verdict::kFail});
  } else {
    // Enabled but out of scope: other cgroups may be redirected meanwhile.
    d.checks.push_back(
        {"module redirected_bytes", "any (other cgroups)", "+" + humanBytes(redirected), Verdict::kInfo});
  }

  // 3. Root's file charge. v1's root "cache" is root's own; v2's root
  // memory.stat is the whole node, so it cannot tell.
  std::string rootDelta = delta(m.rootFileBefore, m.rootFileAfter);
  if (m.target && redirect) {
    // The cache pool: its own charge, whatever the cgroup mode.
    bool grew = m.rootFileAfter >= m.rootFileBefore && m.rootFileAfter - m.rootFileBefore >= mostOfFile;
    d.checks.push_back({"target file charge", ">= +" + humanBytes(mostOfFile) + " (" + *m.target + ")", rootDelta,
                        grew ? Verdict::kPass : Verdict::kWarn});
  } else if (m.v2) {
    d.checks.push_back({"root file charge", "node-wide on v2", rootDelta, Verdict::kInfo});
  } else if (redirect) {
    bool grew = m.rootFileAfter >= m.rootFileBefore && m.rootFileAfter - m.rootFileBefore >= mostOfFile;
    // Other root-level activity can shrink root's cache: warn, do not fail.
    d.checks.push_back(
        {"root file charge", ">= +" + humanBytes(mostOfFile), rootDelta, grew ? Verdict::kPass : Verdict::kWarn});
  } else {
    d.checks.push_back({"root file charge", "unchanged by the job", rootDelta, Verdict::kInfo});
  }

  // 4. Dying memcgs after removing the scratch cgroup.
  std::string dyingText = fmt::format("{} -> {}", m.dyingBefore, m.dyingAfter);
  if (!m.dyingChecked) {
    d.checks.push_back({"dying memcgs after rmdir", "not checked (--keep)", "cgroup kept", Verdict::kSkip});
  } else if (redirect) {
    Verdict v = Verdict::kPass;
    if (m.dyingAfter > m.dyingBefore) {
      // The module attaches redirected inodes' writeback to root and, with
      // metadata 1, moves the block-device cache: nothing of the job's I/O
      // is left to pin it. With metadata switched off the job's metadata
      // reads stay charged to it and may pin it: documented, so a warning.
      v = (m.metadata.has_value() && !*m.metadata) ? Verdict::kWarn : Verdict::kFail;
    }
    std::string expected = m.dyingNodeWide ? "no new one (node-wide)" : "no new one (own parent)";
    if (v == Verdict::kWarn) {
      expected += ", metadata 0";
    }
    d.checks.push_back({"dying memcgs after rmdir", expected, dyingText, v});
  } else {
    d.checks.push_back({"dying memcgs after rmdir", m.drainedBeforeRemoval ? "any (cache drained before rmdir)" : "any",
                        dyingText, Verdict::kInfo});
  }

  // 5. Redirected folios the module found charged elsewhere during the job.
  std::uint64_t failedGrowth = 0;
  if (m.redirectFailedBefore && m.redirectFailedAfter) {
    failedGrowth =
        *m.redirectFailedAfter > *m.redirectFailedBefore ? *m.redirectFailedAfter - *m.redirectFailedBefore : 0;
    d.checks.push_back({"module redirect_failed", "+0", fmt::format("+{}", failedGrowth),
                        failedGrowth == 0 ? Verdict::kPass : Verdict::kFail});
  }

  for (const auto& c : d.checks) {
    if (c.verdict == Verdict::kFail) {
      d.pass = false;
    }
  }
  bool chargesOk = d.checks[0].verdict != Verdict::kFail && d.checks[1].verdict != Verdict::kFail;
  if (redirect) {
    if (d.pass) {
      d.summary = "PASS: the job's page cache was charged to the root cgroup";
    } else if (chargesOk) {
      d.summary =
          "FAIL: the job's page cache went to root, but the removed cgroup is still dying "
          "(something other than page cache holds it; try a longer --settle)";
    } else {
      d.summary = "FAIL: the job's page cache was not redirected to the root cgroup";
    }
  } else if (!m.enabled) {
    d.summary = d.pass ? "PASS: rootcache is disabled and page cache was charged normally (as expected)"
                       : "FAIL: rootcache is disabled but charging was not normal";
  } else {
    d.summary = d.pass ? "PASS: the scratch cgroup is outside the scope and was charged normally (as expected)"
                       : "FAIL: the scratch cgroup is outside the scope but charging was not normal";
  }
  if (!m.dyingChecked && d.pass) {
    d.summary += " (dying memcgs not checked: --keep)";
  }
  if (failedGrowth > 0) {
    d.summary = fmt::format(
        "FAIL: stats/redirect_failed grew by {} during the job: redirected page cache was charged to a cgroup other "
        "than root (the kernel's charge path does not honour the hook; see dmesg)",
        failedGrowth);
  }
  return d;
}

namespace {

// The job's child (startChildIn): write the file, drop it from the cache,
// read it back. Reports an errno through its exit status.
// The file was created and preallocated by the parent, in its own cgroup:
// a job that allocates blocks on a fresh filesystem reads block bitmaps and
// inode tables into the block device's cache, charged to the job unless the
// module's metadata switch is 1. With it 0 that cache alone can keep the
// removed cgroup dying, which is not what verify checks.
[[noreturn]] void childIo(const std::string& file, std::uint64_t size) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0) {
    ::_exit(errno & 0x7f);
  }
  std::vector<char> buf(kMiB, 'r');
  for (std::uint64_t done = 0; done < size;) {
    size_t n = static_cast<size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    ssize_t w = ::write(fd, buf.data(), n);
    if (w <= 0) {
      ::_exit(w < 0 ? (errno & 0x7f) : EIO);
    }
    done += static_cast<std::uint64_t>(w);
  }
  if (::fsync(fd) != 0) {
    ::_exit(errno & 0x7f);
  }
  // Drop the written pages so the read inserts them again: both the write
  // path and the read path are exercised, and the final charge is the read's.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    ::_exit(errno & 0x7f);
  }
  for (;;) {
    ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0) {
      ::_exit(errno & 0x7f);
    }
    if (r == 0) {
      break;
    }
  }
  ::close(fd);
  ::_exit(0);
}

// The turnover child (startChildIn): charge one page of anonymous memory on
// each CPU it may run on. Each CPU's charge cache (memcg_stock) holds a
// reference to the last cgroup that charged there, and the drain at
// removal skips a cache whose pre-charged pages are used up:
// that cache keeps the job's removed cgroup dying until another cgroup
// charges on that CPU, at once on a busy node, maybe never on an idle one.
// A charge from this child's cgroup replaces it, and moves nothing of the
// job's: page cache still charged to the job would still pin it.
[[noreturn]] void childChargeEachCpu() {
  const long cpus = std::min<long>(::sysconf(_SC_NPROCESSORS_CONF), CPU_SETSIZE);
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    // Offline, or outside this cgroup's cpuset: nothing of ours runs there.
    if (::sched_setaffinity(0, sizeof(one), &one) != 0) {
      continue;
    }
    void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      ::_exit(errno & 0x7f);
    }
    *static_cast<volatile char*>(p) = 1;
    ::munmap(p, page);
  }
  ::_exit(0);
}

// A child forked by startChildIn, and whether it was moved into its cgroup.
// The child must be reaped before either result is acted on.
struct StartedChild {
  pid_t pid;
  Status attached;
};

// Forks a child that runs body (which must not return) once it is in
// cgroup cg; it exits 125 without running body if it could not be moved
// there. The go byte over a pipe holds it until then.
Result<StartedChild> startChildIn(CgroupOps& ops, const CgroupPath& cg, const std::function<void()>& body) {
  std::array<int, 2> go{};
  if (::pipe2(go.data(), O_CLOEXEC) != 0) {
    return systemError(errno, "pipe");
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(go[0]);
    ::close(go[1]);
    return systemError(err, "fork");
  }
  if (pid == 0) {
    ::close(go[1]);
    // The parent's handlers only set a flag: a signal kills the child.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      (void)::signal(sig, SIG_DFL);
    }
    char goByte = 0;
    if (::read(go[0], &goByte, 1) != 1 || goByte != 'g') {
      ::_exit(125);
    }
    body();
    ::_exit(0);
  }
  ::close(go[0]);
  Status attached = ops.attach(cg, pid);
  char goByte = attached ? 'g' : 'x';
  (void)::write(go[1], &goByte, 1);
  ::close(go[1]);
  return StartedChild{pid, std::move(attached)};
}

// Runs childChargeEachCpu in cgroup cg and waits for it.
Status chargeEachCpuIn(CgroupOps& ops, const CgroupPath& cg) {
  auto child = startChildIn(ops, cg, childChargeEachCpu);
  if (!child) {
    return child.error();
  }
  int wstatus = 0;
  // Short: a signal is acted on by the caller once the child is gone.
  while (::waitpid(child->pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!child->attached) {
    return child->attached;
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return systemError(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EIO, "the charge on each CPU");
  }
  return {};
}

// The signal that interrupted verify, 0 if none. Set by onSignal only.
volatile std::sig_atomic_t gSignal = 0;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void onSignal(int sig) {
  gSignal = sig;
}

constexpr std::array<int, 3> kCleanupSignals = {SIGINT, SIGTERM, SIGHUP};

// While verify has something to clean up, SIGINT, SIGTERM and SIGHUP only
// set gSignal (no SA_RESTART: a blocking waitpid returns EINTR); the
// previous actions come back when the guard goes.
class SignalGuard {
 public:
  SignalGuard() {
    gSignal = 0;
    struct sigaction sa {};
    sa.sa_handler = onSignal;  // NOLINT(cppcoreguidelines-pro-type-union-access)
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < kCleanupSignals.size(); ++i) {
      ::sigaction(kCleanupSignals.at(i), &sa, &old_.at(i));
    }
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  SignalGuard(SignalGuard&&) = delete;
  SignalGuard& operator=(SignalGuard&&) = delete;
  ~SignalGuard() {
    for (size_t i = 0; i < kCleanupSignals.size(); ++i) {
      ::sigaction(kCleanupSignals.at(i), &old_.at(i), nullptr);
    }
  }
  [[nodiscard]] static int caught() { return gSignal; }

 private:
  std::array<struct sigaction, kCleanupSignals.size()> old_{};
};

// What verify made: the private parent cgroup, the job cgroup and the
// turnover cgroup (childChargeEachCpu) in it, and the file. The destructor
// removes whatever exists, unless --keep, on every return: success, error
// or signal.
class Scratch {
 public:
  Scratch(CgroupOps& ops, CgroupPath parent, std::string file, bool keep)
      : ops_(ops),
        parent_(std::move(parent)),
        job_(parent_.child("job")),
        turnover_(parent_.child("turnover")),
        file_(std::move(file)),
        keep_(keep) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  Scratch(Scratch&&) = delete;
  Scratch& operator=(Scratch&&) = delete;
  ~Scratch() {
    if (!keep_) {
      (void)removeJob();
      (void)removeTurnover();
      (void)removeParent();
      removeFile();
    }
  }

  [[nodiscard]] const CgroupPath& parent() const { return parent_; }
  [[nodiscard]] const CgroupPath& job() const { return job_; }
  [[nodiscard]] const CgroupPath& turnover() const { return turnover_; }
  [[nodiscard]] const std::string& file() const { return file_; }

  Status createParent() {
    Status s = ops_.create(parent_);
    parentExists_ = s.ok();
    return s;
  }
  Status createJob() {
    Status s = ops_.create(job_);
    jobExists_ = s.ok();
    return s;
  }
  Status createTurnover() {
    Status s = ops_.create(turnover_);
    turnoverExists_ = s.ok();
    return s;
  }
  // Creates the file (never an existing one) and allocates its blocks from
  // the tool's own cgroup (see childIo). Filesystems without fallocate leave
  // the allocation to the child's writes.
  Status createFile(std::uint64_t size) {
    int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                    0600);  // NOLINT(cppcoreguidelines-pro-type-vararg)
    if (fd < 0) {
      return systemError(errno, "cannot create " + file_);
    }
    fileExists_ = true;
    int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
    if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) {
      ::close(fd);
      return systemError(rc, "cannot allocate " + humanBytes(size) + " for " + file_);
    }
    if (::fsync(fd) != 0) {
      int err = errno;
      ::close(fd);
      return systemError(err, "cannot fsync " + file_);
    }
    ::close(fd);
    return {};
  }
  // A cgroup already gone (a v1 release agent took it) is removed.
  Status removeJob() { return remove(job_, jobExists_); }
  Status removeTurnover() { return remove(turnover_, turnoverExists_); }
  Status removeParent() { return remove(parent_, parentExists_); }
  void removeFile() {
    if (fileExists_) {
      ::unlink(file_.c_str());
      fileExists_ = false;
    }
  }

 private:
  Status remove(const CgroupPath& cg, bool& exists) {
    if (!exists) {
      return {};
    }
    Status s = ops_.remove(cg);
    if (s || !isDirectory(cg.absolute())) {
      exists = false;
      return {};
    }
    return s;
  }

  CgroupOps& ops_;
  CgroupPath parent_;
  CgroupPath job_;
  CgroupPath turnover_;
  std::string file_;
  bool keep_;
  bool parentExists_ = false;
  bool jobExists_ = false;
  bool turnoverExists_ = false;
  bool fileExists_ = false;
};

// verify's answer when the module says its hook does not work.
Output hookStateFailure(HookState hs) {
  Output out;
  std::string summary = fmt::format("FAIL: hook_state is \"{}\": {}", toString(hs), explainHookState(hs));
  out.json["pass"] = false;
  out.json["summary"] = summary;
  out.json["hook_state"] = std::string(toString(hs));
  out.json["checks"] = nlohmann::json::array(
      {{{"name", "module hook_state"}, {"expected", "ok"}, {"actual", toString(hs)}, {"result", "FAIL"}}});
  out.text = "rootcache verify: not run\n\n" + summary + "\n";
  out.exit = Exit::kCheckFailed;
  return out;
}

// verify's answer when what was asked cannot be shown (redirection that
// will not happen, or normal charging that will not).
Output expectationFailure(const std::string& why, const VerifyMeasurement& m, const CgroupPath& parent) {
  Output out;
  std::string summary = "FAIL: " + why;
  out.json["pass"] = false;
  out.json["summary"] = summary;
  out.json["enabled"] = m.enabled;
  out.json["in_scope"] = m.inScope;
  out.json["parent"] = parent.display();
  bool redirect = m.enabled && m.inScope;
  out.json["checks"] = nlohmann::json::array({{{"name", "redirection exercised"},
                                               {"expected", redirect ? "no (--expect-disabled)" : "yes"},
                                               {"actual", redirect ? "yes" : "no"},
                                               {"result", "FAIL"}}});
  out.text = "rootcache verify: not run\n\n" + summary + "\n";
  out.exit = Exit::kCheckFailed;
  return out;
}

// verify's answer to a signal, after the child is dead; Scratch's
// destructor removes the rest on the way out.
Output interruptedOutput(int sig, bool keep) {
  Output out = errorOutput(Error{0,
                                 fmt::format("verify interrupted by SIG{}: {}", sigabbrev_np(sig),
                                             keep ? "the scratch cgroups and file were kept (--keep)"
                                                  : "the scratch cgroups and file were removed"),
                                 Exit::kCheckFailed});
  out.json["interrupted_by"] = sig;
  return out;
}

}  // namespace

bool scopeCovers(const std::vector<std::uint64_t>& scope, const std::vector<std::uint64_t>& lineage) {
  if (scope.empty()) {
    return true;
  }
  return std::any_of(lineage.begin(), lineage.end(),
                     [&](std::uint64_t id) { return std::find(scope.begin(), scope.end(), id) != scope.end(); });
}

std::optional<std::string> verifyExpectationFailure(bool enabled, bool inScope, bool expectDisabled) {
  if (!expectDisabled) {
    if (!enabled) {
      return std::string(
          "rootcache is disabled: verify cannot show that page cache is redirected (enable it with "
          "\"rootcachectl enable\", or pass --expect-disabled to check that page cache is charged normally)");
    }
    if (!inScope) {
      return std::string(
          "the scratch cgroup would be outside the scope: its page cache would not be redirected (pass --parent "
          "with a cgroup in the scope, or --expect-disabled to check that page cache is charged normally)");
    }
    return std::nullopt;
  }
  if (enabled && inScope) {
    return std::string(
        "--expect-disabled, but rootcache is enabled and the scratch cgroup is in the scope: its page cache "
        "would be redirected");
  }
  return std::nullopt;
}

Status checkVerifyDir(const std::string& dir) {
  if (!isDirectory(dir)) {
    return usageError("--dir " + dir + " is not a directory");
  }
  auto type = filesystemType(dir);
  if (!type) {
    return type.error();
  }
  // Neither is ever redirected: tmpfs pages are shmem, ramfs's unevictable.
  if (*type == TMPFS_MAGIC || *type == RAMFS_MAGIC) {
    return usageError(
        fmt::format("--dir {} is on {}, whose page cache is never redirected: use a directory on a disk filesystem "
                    "(e.g. /var/tmp)",
                    dir, *type == TMPFS_MAGIC ? "tmpfs" : "ramfs"));
  }
  return {};
}

Output runVerify(const Roots& roots, const VerifyOptions& opts) {
  ModuleClient mod(roots);
  if (!mod.loaded()) {
    return errorOutput(environmentError("rootcache module not loaded; load it with: modprobe rootcache"));
  }
  auto state = mod.read();
  if (!state) {
    return errorOutput(state.error());
  }
  // A hook that does not work cannot be verified: fail before the job.
  if (state->hookState && *state->hookState != HookState::kOk && *state->hookState != HookState::kPartial) {
    return hookStateFailure(*state->hookState);
  }
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }
  CgroupPath root(*hier, "");
  CgroupPath parent = root;
  if (opts.parent) {
    auto p = CgroupPath::resolve(*hier, *opts.parent);
    if (!p) {
      return errorOutput(usageError("--parent: " + p.error().message));
    }
    parent = *p;
  }
  if (Status s = checkVerifyDir(opts.dir); !s) {
    return errorOutput(s.error());
  }

  VerifyMeasurement m;
  m.enabled = state->enabled;
  m.v2 = hier->v2;
  m.dyingNodeWide = !hier->v2;
  m.metadata = state->metadata;
  m.sizeBytes = opts.sizeMiB * kMiB;
  if (state->scope && !state->scope->empty()) {
    // The scratch cgroups are new: in scope only through the parent's line.
    std::vector<std::uint64_t> lineage;
    for (const auto& cg : parent.lineage()) {
      auto id = cgroupId(cg);
      if (!id) {
        return errorOutput(id.error());
      }
      lineage.push_back(*id);
    }
    m.inScope = scopeCovers(*state->scope, lineage);
  }
  if (auto why = verifyExpectationFailure(m.enabled, m.inScope, opts.expectDisabled)) {
    return expectationFailure(*why, m, parent);
  }
  if (!privileged()) {
    return errorOutput(environmentError("verify needs root (it creates a cgroup)"));
  }
  if (parent.isRoot()) {
    if (Status s = enableMemoryForChildren(root); !s) {
      return errorOutput(s.error());
    }
  } else if (hier->v2) {
    // Another's cgroup: say what is missing rather than change it.
    auto words = readFile(parent.file(files::kCgroupSubtreeControl));
    if (!words) {
      return errorOutput(words.error());
    }
    auto list = splitWords(*words);
    if (std::find(list.begin(), list.end(), "memory") == list.end()) {
      return errorOutput(usageError(
          fmt::format("--parent {}: the memory controller is not enabled for its children (\"+memory\" in {})",
                      parent.display(), parent.file(files::kCgroupSubtreeControl))));
    }
  }

  auto ops = makeCgroupOps(*hier);
  SignalGuard signals;
  Scratch scratch(*ops, parent.child(fmt::format("rootcache-verify-{}", ::getpid())),
                  joinPath(opts.dir, fmt::format("rootcache-verify.{}", ::getpid())), opts.keep);
  const CgroupPath& job = scratch.job();
  if (Status s = scratch.createParent(); !s) {
    return errorOutput(s.error());
  }
  if (Status s = enableMemoryForChildren(scratch.parent()); !s) {
    return errorOutput(s.error());
  }
  // v2: dying memcgs under verify's own parent (0 now); v1: the node's.
  auto countDying = [&]() { return hier->v2 ? dyingMemcgsUnder(scratch.parent()) : dyingMemcgs(roots, *hier); };
  auto dyingBefore = countDying();
  if (!dyingBefore) {
    return errorOutput(dyingBefore.error());
  }
  m.dyingBefore = *dyingBefore;

  if (Status s = scratch.createFile(m.sizeBytes); !s) {
    return errorOutput(s.error());
  }
  if (Status s = scratch.createJob(); !s) {
    return errorOutput(s.error());
  }
  if (int sig = SignalGuard::caught()) {
    return interruptedOutput(sig, opts.keep);
  }

  // Where redirected cache goes: the target (cache pool) when one is set.
  CgroupPath dest = root;
  if (state->target && *state->target != 0) {
    if (auto p = targetPath(*hier, *state->target); p && *p) {
      if (auto cg = CgroupPath::resolve(*hier, **p)) {
        dest = *cg;
        m.target = dest.display();
      }
    }
  }
  m.rootFileBefore = fileBytes(dest).valueOr(0);
  m.redirectedBefore = state->stats.contains("redirected_bytes") ? state->stats["redirected_bytes"] : 0;
  if (auto it = state->stats.find("redirect_failed"); it != state->stats.end()) {
    m.redirectFailedBefore = it->second;
  }

  auto child = startChildIn(*ops, job, [&] { childIo(scratch.file(), m.sizeBytes); });
  if (!child) {
    return errorOutput(child.error());
  }
  const pid_t pid = child->pid;
  const Status& attached = child->attached;
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    if (int sig = SignalGuard::caught()) {
      // The child must be gone before its cgroup can be removed.
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      return interruptedOutput(sig, opts.keep);
    }
  }
  if (!attached) {
    return errorOutput(attached.error());
  }
  if (int sig = SignalGuard::caught()) {
    return interruptedOutput(sig, opts.keep);
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EIO;
    return errorOutput(systemError(code, "the verify child could not write and read " + scratch.file()));
  }

  auto childFile = fileBytes(job);
  if (!childFile) {
    return errorOutput(childFile.error());
  }
  m.childFileBytes = *childFile;
  m.rootFileAfter = fileBytes(dest).valueOr(0);
  auto statsAfter = mod.stats();
  m.redirectedAfter = statsAfter && statsAfter->contains("redirected_bytes") ? statsAfter->at("redirected_bytes") : 0;
  if (statsAfter && statsAfter->contains("redirect_failed")) {
    m.redirectFailedAfter = statsAfter->at("redirect_failed");
  }

  Output out;
  if (opts.keep) {
    m.dyingAfter = m.dyingBefore;
    m.dyingChecked = false;
    out.json["kept"] = {{"cgroup", job.absolute()}, {"parent", scratch.parent().absolute()}, {"file", scratch.file()}};
  } else {
    // Flush writeback first: on v2 a dirty inode's writeback context can
    // hold the cgroup (see the documentation).
    ::sync();
    if (!(m.enabled && m.inScope)) {
      // Normal charging pins the cgroup: do not leave a dying memcg behind.
      m.drainedBeforeRemoval = drainCgroup(job).ok();
    }
    // Another cgroup charges on each CPU, so that no CPU's charge cache
    // keeps the job's cgroup (childChargeEachCpu). Best effort: without it
    // the check may report such a cache as a dying cgroup.
    if (Status s = scratch.createTurnover(); s) {
      m.chargeCachesTurnedOver = chargeEachCpuIn(*ops, scratch.turnover()).ok();
    }
    if (int sig = SignalGuard::caught()) {
      return interruptedOutput(sig, opts.keep);
    }
    if (Status s = scratch.removeJob(); !s) {
      return errorOutput(s.error());
    }
    // Its charge caches still hold pages (a charge takes a batch of them),
    // so the drain at its removal returns them and their references.
    if (Status s = scratch.removeTurnover(); !s) {
      return errorOutput(s.error());
    }
    // Wait for the removed cgroup to be freed (RCU, offline work).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(opts.settleSeconds);
    for (;;) {
      if (int sig = SignalGuard::caught()) {
        return interruptedOutput(sig, opts.keep);
      }
      auto d = countDying();
      m.dyingAfter = d ? *d : m.dyingBefore;
      if (m.dyingAfter <= m.dyingBefore || std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // A parent whose child is still dying can go: only online children hold it.
    if (Status s = scratch.removeParent(); !s) {
      return errorOutput(s.error());
    }
    scratch.removeFile();
  }

  VerifyDecision d = decideVerify(m);
  auto& j = out.json;
  j["pass"] = d.pass;
  j["summary"] = d.summary;
  j["enabled"] = m.enabled;
  j["in_scope"] = m.inScope;
  j["expect_disabled"] = opts.expectDisabled;
  j["parent"] = parent.display();
  j["cgroup_mode"] = std::string(toString(hier->mode));
  j["cgroup_ops"] = std::string(ops->name());
  j["size_bytes"] = m.sizeBytes;
  j["dying_count"] = m.dyingNodeWide ? "node" : "own parent";
  j["measurements"] = {{"job_file_bytes", m.childFileBytes},
                       {"root_file_bytes_before", m.rootFileBefore},
                       {"root_file_bytes_after", m.rootFileAfter},
                       {"redirected_bytes_before", m.redirectedBefore},
                       {"redirected_bytes_after", m.redirectedAfter},
                       {"dying_memcgs_before", m.dyingBefore},
                       {"dying_memcgs_after", m.dyingAfter},
                       {"drained_before_removal", m.drainedBeforeRemoval},
                       {"charge_caches_turned_over", m.chargeCachesTurnedOver}};
  auto& jc = j["checks"] = nlohmann::json::array();
  out.text =
      fmt::format("rootcache verify: {} MiB file in {}, cgroup {} ({}), module {}{}\n\n", opts.sizeMiB,
                  escapeName(opts.dir), escapeName(job.display()), toString(hier->mode),
                  m.enabled ? "enabled" : "disabled", m.enabled && !m.inScope ? ", scratch cgroup out of scope" : "");
  out.text += fmt::format("{:<28} {:<34} {:<20} {}\n", "CHECK", "EXPECTED", "ACTUAL", "RESULT");
  for (const auto& c : d.checks) {
    jc.push_back({{"name", c.name}, {"expected", c.expected}, {"actual", c.actual}, {"result", toString(c.verdict)}});
    out.text += fmt::format("{:<28} {:<34} {:<20} {}\n", c.name, c.expected, c.actual, toString(c.verdict));
  }
  out.text += "\n" + d.summary + "\n";
  out.exit = d.pass ? Exit::kOk : Exit::kCheckFailed;
  return out;
}

}  // namespace rootcache
