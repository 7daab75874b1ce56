// SPDX-License-Identifier: GPL-2.0
// verify: an end-to-end proof on a live node. A child in a scratch cgroup
// writes a fresh file, drops it from the cache and reads it back (so both
// the write and the read path insert page cache); then we compare the
// charges the kernel reports and count dying memcgs after removing the
// cgroup. The decision is a pure function of the numbers (decideVerify).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
  if (m.v2) {
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
      // v2 can keep the cgroup dying through inode writeback ownership
      // (atime updates), which the module does not move (see the docs).
      v = m.v2 ? Verdict::kWarn : Verdict::kFail;
    }
    d.checks.push_back({"dying memcgs after rmdir", "no new one", dyingText, v});
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

// The child: wait for the go byte, then write the file, drop it from the
// cache, read it back. Reports an errno through its exit status.
// The file was created and preallocated by the parent, in its own cgroup:
// a job that allocates blocks on a fresh filesystem reads block bitmaps and
// inode tables into the block device's cache, charged to the job. That
// metadata cache is not a regular file's (never redirected, by design) and
// alone can keep the removed cgroup dying, which is not what verify checks.
[[noreturn]] void childIo(int goFd, const std::string& file, std::uint64_t size) {
  char go = 0;
  if (::read(goFd, &go, 1) != 1 || go != 'g') {
    ::_exit(125);
  }
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

// Creates the file and allocates its blocks from the tool's own cgroup
// (see childIo). Filesystems without fallocate leave the allocation to the
// child's writes.
Status preallocate(const std::string& file, std::uint64_t size) {
  int fd =
      ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0) {
    return systemError(errno, "cannot create " + file);
  }
  int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) {
    ::close(fd);
    return systemError(rc, "cannot allocate " + humanBytes(size) + " for " + file);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return systemError(err, "cannot fsync " + file);
  }
  ::close(fd);
  return {};
}

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

}  // namespace

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
  if (state->hookState && *state->hookState != HookState::kOk) {
    return hookStateFailure(*state->hookState);
  }
  if (::geteuid() != 0) {
    return errorOutput(environmentError("verify needs root (it creates a cgroup)"));
  }
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return errorOutput(hier.error());
  }
  if (!isDirectory(opts.dir)) {
    return errorOutput(usageError("--dir " + opts.dir + " is not a directory"));
  }

  VerifyMeasurement m;
  m.enabled = state->enabled;
  m.v2 = hier->v2;
  m.sizeBytes = opts.sizeMiB * kMiB;
  CgroupPath root(*hier, "");
  auto rootId = cgroupId(root);
  if (!rootId) {
    return errorOutput(rootId.error());
  }
  if (state->scope && !state->scope->empty()) {
    // The scratch cgroup is a child of root: in scope only if root is.
    m.inScope = std::find(state->scope->begin(), state->scope->end(), *rootId) != state->scope->end();
  }

  if (Status s = enableMemoryForChildren(root); !s) {
    return errorOutput(s.error());
  }
  auto dyingBefore = dyingMemcgs(roots, *hier);
  if (!dyingBefore) {
    return errorOutput(dyingBefore.error());
  }
  m.dyingBefore = *dyingBefore;

  CgroupPath scratch = root.child(fmt::format("rootcache-verify-{}", ::getpid()));
  std::string file = joinPath(opts.dir, fmt::format("rootcache-verify.{}", ::getpid()));
  if (Status s = preallocate(file, m.sizeBytes); !s) {
    ::unlink(file.c_str());
    return errorOutput(s.error());
  }
  auto ops = makeCgroupOps(*hier);
  if (Status s = ops->create(scratch); !s) {
    ::unlink(file.c_str());
    return errorOutput(s.error());
  }
  bool cgroupExists = true;
  auto cleanup = [&] {
    if (!opts.keep) {
      if (cgroupExists) {
        (void)ops->remove(scratch);
      }
      ::unlink(file.c_str());
    }
  };

  m.rootFileBefore = fileBytes(root).valueOr(0);
  m.redirectedBefore = state->stats.contains("redirected_bytes") ? state->stats["redirected_bytes"] : 0;
  if (auto it = state->stats.find("redirect_failed"); it != state->stats.end()) {
    m.redirectFailedBefore = it->second;
  }

  std::array<int, 2> go{};
  if (::pipe2(go.data(), O_CLOEXEC) != 0) {
    Error e = systemError(errno, "pipe");
    cleanup();
    return errorOutput(e);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    Error e = systemError(errno, "fork");
    ::close(go[0]);
    ::close(go[1]);
    cleanup();
    return errorOutput(e);
  }
  if (pid == 0) {
    ::close(go[1]);
    childIo(go[0], file, m.sizeBytes);
  }
  ::close(go[0]);
  Status attached = ops->attach(scratch, pid);
  char goByte = attached ? 'g' : 'x';
  (void)::write(go[1], &goByte, 1);
  ::close(go[1]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!attached) {
    cleanup();
    return errorOutput(attached.error());
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EIO;
    cleanup();
    return errorOutput(systemError(code, "the verify child could not write and read " + file));
  }

  auto childFile = fileBytes(scratch);
  if (!childFile) {
    cleanup();
    return errorOutput(childFile.error());
  }
  m.childFileBytes = *childFile;
  m.rootFileAfter = fileBytes(root).valueOr(0);
  auto statsAfter = mod.stats();
  m.redirectedAfter = statsAfter && statsAfter->contains("redirected_bytes") ? statsAfter->at("redirected_bytes") : 0;
  if (statsAfter && statsAfter->contains("redirect_failed")) {
    m.redirectFailedAfter = statsAfter->at("redirect_failed");
  }

  Output out;
  if (opts.keep) {
    m.dyingAfter = m.dyingBefore;
    m.dyingChecked = false;
    out.json["kept"] = {{"cgroup", scratch.absolute()}, {"file", file}};
  } else {
    // Flush writeback first: on v2 a dirty inode's writeback context can
    // hold the cgroup (see the documentation).
    ::sync();
    if (!(m.enabled && m.inScope)) {
      // Normal charging pins the cgroup: do not leave a dying memcg behind.
      m.drainedBeforeRemoval = drainCgroup(scratch).ok();
    }
    if (Status s = ops->remove(scratch); !s) {
      ::unlink(file.c_str());
      return errorOutput(s.error());
    }
    cgroupExists = false;
    // Wait for the removed cgroup to be freed (RCU, offline work).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(opts.settleSeconds);
    for (;;) {
      auto d = dyingMemcgs(roots, *hier);
      m.dyingAfter = d ? *d : m.dyingBefore;
      if (m.dyingAfter <= m.dyingBefore || std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ::unlink(file.c_str());
  }

  VerifyDecision d = decideVerify(m);
  auto& j = out.json;
  j["pass"] = d.pass;
  j["summary"] = d.summary;
  j["enabled"] = m.enabled;
  j["in_scope"] = m.inScope;
  j["cgroup_mode"] = std::string(toString(hier->mode));
  j["cgroup_ops"] = std::string(ops->name());
  j["size_bytes"] = m.sizeBytes;
  j["measurements"] = {
      {"job_file_bytes", m.childFileBytes},          {"root_file_bytes_before", m.rootFileBefore},
      {"root_file_bytes_after", m.rootFileAfter},    {"redirected_bytes_before", m.redirectedBefore},
      {"redirected_bytes_after", m.redirectedAfter}, {"dying_memcgs_before", m.dyingBefore},
      {"dying_memcgs_after", m.dyingAfter},          {"drained_before_removal", m.drainedBeforeRemoval}};
  auto& jc = j["checks"] = nlohmann::json::array();
  out.text = fmt::format("rootcache verify: {} MiB file in {}, cgroup {} ({}), module {}{}\n\n", opts.sizeMiB, opts.dir,
                         scratch.display(), toString(hier->mode), m.enabled ? "enabled" : "disabled",
                         m.enabled && !m.inScope ? ", scratch cgroup out of scope" : "");
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
