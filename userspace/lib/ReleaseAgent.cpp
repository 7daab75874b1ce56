// SPDX-License-Identifier: GPL-2.0
// The cgroup v1 release_agent entry point: the kernel runs the agent with
// the released cgroup's path (relative to the hierarchy) when its last task
// leaves and notify_on_release is set. We drain the cgroup's page cache so
// it does not stay behind as a dying memcg, then remove it. The kernel gives
// the agent no terminal: everything is logged to syslog.
#include <fmt/format.h>
#include <syslog.h>

#include "rootcache/Commands.h"
#include "rootcache/Drain.h"

namespace rootcache {

namespace {

void logLine(int prio, const std::string& msg) {
  ::openlog("rootcache-release-agent", LOG_PID, LOG_DAEMON);
  ::syslog(prio, "%s", msg.c_str());  // NOLINT(cppcoreguidelines-pro-type-vararg)
  ::closelog();
}

Output fail(const Error& e) {
  logLine(LOG_ERR, e.describe());
  return errorOutput(e);
}

}  // namespace

Output runReleaseAgent(const Roots& roots, const std::string& cgroup) {
  auto hier = findMemoryHierarchy(roots);
  if (!hier) {
    return fail(hier.error());
  }
  auto cg = CgroupPath::resolve(*hier, cgroup);
  if (!cg) {
    // Already gone (another agent, or an operator): nothing to do.
    if (cg.error().errnum == ENOENT) {
      Output out;
      out.json = {{"cgroup", cgroup}, {"removed", false}, {"note", "already gone"}};
      out.text = escapeName(cgroup) + ": already gone\n";
      logLine(LOG_INFO, cgroup + ": already gone");
      return out;
    }
    return fail(cg.error());
  }
  if (cg->isRoot()) {
    return fail(usageError("release-agent: refusing to act on the root cgroup"));
  }
  Output out;
  auto drained = drainCgroup(*cg);
  if (drained) {
    out.json["drain"] = toJson(*drained);
    logLine(LOG_INFO, fmt::format("{}: drained via {}, file cache {} -> {} bytes", cg->display(), drained->method,
                                  drained->fileBefore, drained->fileAfter));
  } else {
    // Still try to remove: the cgroup is unused either way.
    out.json["drain"] = {{"error", drained.error().describe()}};
    logLine(LOG_WARNING, fmt::format("{}: drain failed: {}", cg->display(), drained.error().describe()));
  }
  if (Status removed = removeDir(cg->absolute()); !removed) {
    int err = removed.error().errnum;
    if (err == ENOENT) {
      // Removed meanwhile (another agent, or an operator): nothing to do.
      out.json["cgroup"] = cg->display();
      out.json["removed"] = false;
      out.json["note"] = "already gone";
      out.text += escapeName(cg->display()) + ": already gone\n";
      logLine(LOG_INFO, cg->display() + ": already gone");
      return out;
    }
    // EBUSY: a task joined again, or a child cgroup appeared; leave it.
    Error e = systemError(err, "cannot remove " + cg->absolute());
    out.json["removed"] = false;
    out.json["error"] = e.describe();
    out.errors += errorLine(e);
    out.exit = err == EBUSY ? Exit::kCheckFailed : e.exit;
    logLine(LOG_ERR, e.describe());
    return out;
  }
  out.json["cgroup"] = cg->display();
  out.json["removed"] = true;
  logLine(LOG_INFO, cg->display() + ": removed");
  out.text += fmt::format(
      "{}: {}removed\n", escapeName(cg->display()),
      drained ? fmt::format(
                    "drained {} of file cache, ",
                    humanBytes(drained->fileBefore > drained->fileAfter ? drained->fileBefore - drained->fileAfter : 0))
              : std::string());
  return out;
}

}  // namespace rootcache
