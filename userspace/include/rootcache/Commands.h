// SPDX-License-Identifier: GPL-2.0
// The commands of rootcachectl as library calls. Each returns an Output: the
// same facts as JSON for machines and as text for people, plus the exit code.
// The front end (main/) only parses arguments and prints.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rootcache/BootConf.h"
#include "rootcache/Cgroup.h"
#include "rootcache/Drain.h"
#include "rootcache/Expected.h"
#include "rootcache/Fs.h"
#include "rootcache/Module.h"

namespace rootcache {

struct Output {
  nlohmann::json json = nlohmann::json::object();
  std::string text;    // the report, on stdout
  std::string errors;  // what failed, one "rootcachectl: ..." line each, on stderr
  Exit exit = Exit::kOk;
};

// An Error as an Output: {"error": ..., "errno": ...} and one line in errors.
[[nodiscard]] Output errorOutput(const Error& e);
// The line errorOutput() puts in errors: "rootcachectl: <what>\n".
[[nodiscard]] std::string errorLine(const Error& e);
// A name (cgroup path, file name) for a line of text: backslash, newline,
// tab and other control characters C-style escaped (\\, \n, \t, \x1b), so
// that one name is one line and cannot fake another. JSON escapes by itself.
[[nodiscard]] std::string escapeName(std::string_view name);
// "32.0 MiB" style.
[[nodiscard]] std::string humanBytes(std::uint64_t bytes);

// ---- status
// What status reads from the node (collectStatus). The health verdict and
// the exit code are a pure function of it (decideStatus); renderStatus
// prints both. runStatus is the three, plus the probe_misses it keeps for
// the next status (<run>/rootcache/status.state).
struct StatusFacts {
  std::string kernel = "unknown";  // /proc/sys/kernel/osrelease
  CgroupMode mode = CgroupMode::kNone;
  Result<MemoryHierarchy> hierarchy = environmentError("no memory cgroup hierarchy");
  // Removed memory cgroups still held; counted when there is a hierarchy.
  Result<std::uint64_t> dyingMemcgs = std::uint64_t{0};
  bool loaded = false;
  // Read when loaded.
  Result<ModuleState> module = environmentError("module not loaded");
  // The path of the module's target cgroup when a live cgroup has its ID
  // ("/" for root); nullopt when it was removed or could not be looked up.
  std::optional<std::string> targetPath;
  // probe_misses as the last status saw it; nullopt when none did.
  std::optional<std::uint64_t> lastProbeMisses;
  // /etc/rootcache/rootcache.conf (bootFile) as rootcache-apply reads it.
  std::string bootFile;
  Result<BootState> boot = BootState{};
};
[[nodiscard]] StatusFacts collectStatus(const Roots& roots);

struct StatusDecision {
  Exit exit = Exit::kOk;
  std::vector<std::string> problems;  // each makes the verdict non-ok
  std::string verdict;                // "ok: ...", "degraded: ..." or "error: ..."
  // Probe misses since the last status (or since the load, when the counter
  // went back or no status saw it), and which of the two; nullopt without
  // the counter.
  std::optional<std::uint64_t> newProbeMisses;
  std::string probeMissesSince;
  std::string note;  // old probe misses: said, but healthy
};
[[nodiscard]] StatusDecision decideStatus(const StatusFacts& facts);
[[nodiscard]] Output renderStatus(const StatusFacts& facts, const StatusDecision& decision);
[[nodiscard]] Output runStatus(const Roots& roots);

// ---- enable / disable
struct EnableOptions {
  bool enable = true;
  bool persist = false;
};
[[nodiscard]] Output runEnable(const Roots& roots, const EnableOptions& opts);
// --persist sets enabled= in /etc/rootcache/rootcache.conf (BootConf.h).
// The first line of the files older versions of --persist wrote in
// modprobe.d/ and modules-load.d/: --persist removes those that have it.
inline constexpr std::string_view kPersistHeader = "# Managed by rootcachectl";

// ---- metrics
// Prometheus text exposition of the node's rootcache state.
[[nodiscard]] Output runMetrics(const Roots& roots, const std::optional<std::string>& textfileDir);
// Where --textfile ARG writes: ARG/rootcache.prom when ARG is a directory,
// ARG itself when it ends in ".prom" in an existing directory; else a usage
// error.
[[nodiscard]] Result<std::string> textfilePath(const std::string& arg);
// The exposition text alone (used by runMetrics and tests).
[[nodiscard]] std::string renderPrometheus(const nlohmann::json& metrics);
// The exposition when collecting failed: rootcache_scrape_error 1 alone.
[[nodiscard]] std::string renderScrapeError(bool failed);

// ---- scope
enum class ScopeAction { kList, kAdd, kDel, kClear, kPrune };
[[nodiscard]] Output runScope(const Roots& roots, ScopeAction action, const std::vector<std::string>& paths);

// ---- target (the cache pool)
enum class TargetAction { kShow, kSet, kClear };
// set: `cgroup` is a path in the memory hierarchy (absolute, or relative to
// its root), resolved to its ID.
[[nodiscard]] Output runTarget(const Roots& roots, TargetAction action, const std::string& cgroup = {});
// The target as people read it: "root", "/a/b (ID)", or "ID (removed: ...)".
// `path` is the cgroup's path when it still exists.
[[nodiscard]] std::string describeTarget(std::uint64_t id, const std::optional<std::string>& path);
// The display path of target `id` ("/" for 0), or nullopt when no live
// cgroup has that ID (the target was removed).
[[nodiscard]] Result<std::optional<std::string>> targetPath(const MemoryHierarchy& h, std::uint64_t id);

// ---- drain
[[nodiscard]] Output runDrain(const Roots& roots, const std::vector<std::string>& cgroups,
                              const DrainOptions& opts = {});

// ---- release-agent (v1 release_agent entry point)
[[nodiscard]] Output runReleaseAgent(const Roots& roots, const std::string& cgroup);

// ---- verify
struct VerifyOptions {
  std::uint64_t sizeMiB = 64;
  std::string dir = "/var/tmp";
  bool keep = false;
  double settleSeconds = 10.0;  // how long to wait for the removed cgroup to go
  // Expect normal charging (module disabled, or the scratch cgroup outside
  // the scope) instead of redirection.
  bool expectDisabled = false;
  // Where the scratch cgroups go (a path as `scope add` takes it); the root
  // cgroup when unset.
  std::optional<std::string> parent;
};

// Whether a scratch cgroup under a parent is redirected: the scope is empty,
// or it holds the ID of the parent or of one of its ancestors (the IDs of
// the parent and its ancestors, root included, in `lineage`).
[[nodiscard]] bool scopeCovers(const std::vector<std::uint64_t>& scope, const std::vector<std::uint64_t>& lineage);
// Why verify cannot prove what was asked, before running the job: nullopt
// when redirection is expected and will happen (or not expected and will not).
[[nodiscard]] std::optional<std::string> verifyExpectationFailure(bool enabled, bool inScope, bool expectDisabled);
// Whether `dir` can hold verify's file: a directory, not on tmpfs or ramfs
// (their pages are shmem or unevictable, never redirected). Usage errors.
[[nodiscard]] Status checkVerifyDir(const std::string& dir);

// What verify measured; the decision is a pure function of it.
struct VerifyMeasurement {
  bool enabled = false;
  bool inScope = true;  // the scratch cgroup is redirected by the scope
  bool v2 = false;
  std::uint64_t sizeBytes = 0;
  std::uint64_t childFileBytes = 0;  // scratch cgroup's file charge after the I/O
  std::uint64_t rootFileBefore = 0;  // root's file charge (the target's when set)
  std::uint64_t rootFileAfter = 0;
  // The module's target (cache pool) path when one is set and exists: the
  // file charge above is then the pool's, judged on v1 and v2 alike.
  std::optional<std::string> target;
  std::uint64_t redirectedBefore = 0;  // module's redirected_bytes
  std::uint64_t redirectedAfter = 0;
  std::uint64_t dyingBefore = 0;
  std::uint64_t dyingAfter = 0;
  // v2: the dying count is of verify's own private parent cgroup; v1 has
  // only the node-wide count, which other jobs' removals change too.
  bool dyingNodeWide = false;
  // The module's metadata switch; nullopt on a module without one. At 0 the
  // block-device cache the job's reads brought in stays charged to it and
  // can keep the removed cgroup dying: a new dying memcg only warns then.
  std::optional<bool> metadata;
  bool drainedBeforeRemoval = false;
  // Another cgroup charged on each CPU before the removal (the kernel's
  // per-CPU charge caches, runVerify): false if that could not be done.
  bool chargeCachesTurnedOver = false;
  bool dyingChecked = true;  // false with --keep: the cgroup was not removed
  // stats/redirect_failed around the job; nullopt on a module without it.
  std::optional<std::uint64_t> redirectFailedBefore;
  std::optional<std::uint64_t> redirectFailedAfter;
};

enum class Verdict { kPass, kFail, kWarn, kInfo, kSkip };
[[nodiscard]] std::string_view toString(Verdict v);

struct VerifyCheck {
  std::string name;
  std::string expected;
  std::string actual;
  Verdict verdict = Verdict::kPass;
};

struct VerifyDecision {
  std::vector<VerifyCheck> checks;
  bool pass = true;
  std::string summary;
};

[[nodiscard]] VerifyDecision decideVerify(const VerifyMeasurement& m);
[[nodiscard]] Output runVerify(const Roots& roots, const VerifyOptions& opts);

}  // namespace rootcache
