// SPDX-License-Identifier: GPL-2.0
// rootcachectl: the thin front end. Parses arguments with CLI11, calls the
// library, prints text or JSON, and exits with the documented code.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>

#include "rootcache/Commands.h"

namespace {

using rootcache::Exit;
using rootcache::Output;

// The report on stdout, what failed on stderr; with --json only the JSON
// (which carries the errors), on stdout. Names that are not UTF-8 are
// printed with U+FFFD rather than failing the dump.
int emit(const Output& out, bool json) {
  if (json) {
    std::cout << out.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << out.text;
  }
  std::cout.flush();
  if (!json) {
    std::cerr << out.errors;
  }
  return static_cast<int>(out.exit);
}

// --json on every command, so that each one's --help shows it; the same
// flag as the global one.
void addJson(CLI::App* cmd, bool& json) {
  cmd->add_flag("--json", json, "Print JSON instead of text");
}

std::string baseName(const char* argv0) {
  std::string s(argv0 != nullptr ? argv0 : "");
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

int run(int argc, char** argv) {
  rootcache::Roots roots;

  // Installed as a v1 release_agent the kernel runs us with one argument,
  // the cgroup path, and no way to add a subcommand: act on the name.
  if (baseName(argv[0]) == "rootcache-release-agent") {  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (argc != 2) {
      std::cerr << "usage: rootcache-release-agent CGROUP\n";
      return static_cast<int>(Exit::kUsage);
    }
    return static_cast<int>(
        rootcache::runReleaseAgent(roots, argv[1]).exit);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  }

  CLI::App app{"rootcachectl: control the rootcache module (page cache charged to the root memory cgroup)",
               "rootcachectl"};
  app.require_subcommand(1);
  // Global options (--json, roots) may also follow the subcommand.
  app.fallthrough();
  bool json = false;
  app.add_flag("--json", json, "Print JSON instead of text");
  // Testing only (fixture trees, see userspace/README.md): accepted, not in
  // --help (an empty group hides an option).
  for (auto [name, value] : {std::pair<const char*, std::string*>{"--sysfs-root", &roots.sysfs},
                             {"--cgroup-root", &roots.cgroup},
                             {"--proc-root", &roots.proc},
                             {"--etc-root", &roots.etc},
                             {"--run-root", &roots.run}}) {
    app.add_option(name, *value)->group("");
  }
  app.set_version_flag("--version", std::string(ROOTCACHE_TOOL_VERSION));

  Output result;
  bool ran = false;
  auto done = [&](Output o) {
    result = std::move(o);
    ran = true;
  };

  auto* status = app.add_subcommand("status", "Show module state, counters, cgroup mode and health");
  addJson(status, json);
  status->callback([&] { done(rootcache::runStatus(roots)); });

  bool persist = false;
  auto* enable = app.add_subcommand("enable", "Charge new page cache to the root cgroup");
  enable->add_flag("--persist", persist, "Also set enabled=1 in /etc/rootcache/rootcache.conf (the next boots)");
  addJson(enable, json);
  enable->callback([&] { done(rootcache::runEnable(roots, {true, persist})); });
  auto* disable = app.add_subcommand("disable", "Charge new page cache normally again");
  disable->add_flag("--persist", persist, "Also set enabled=0 in /etc/rootcache/rootcache.conf (the next boots)");
  addJson(disable, json);
  disable->callback([&] { done(rootcache::runEnable(roots, {false, persist})); });

  rootcache::VerifyOptions vopts;
  auto* verify = app.add_subcommand("verify", "Prove end to end that page cache is redirected");
  verify->add_option("--size", vopts.sizeMiB, "File size in MiB")->capture_default_str()->check(CLI::Range(1, 65536));
  verify->add_option("--dir", vopts.dir, "Directory on a real filesystem for the test file")->capture_default_str();
  verify->add_flag("--keep", vopts.keep, "Keep the scratch cgroups and file");
  verify->add_flag("--expect-disabled", vopts.expectDisabled,
                   "Expect normal charging (module disabled or cgroup out of scope), not redirection");
  verify->add_option("--parent", vopts.parent, "Make the scratch cgroups under CGROUP (default: the root)");
  verify->add_option("--settle", vopts.settleSeconds, "Seconds to wait for the removed cgroup to go")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  addJson(verify, json);
  verify->callback([&] { done(rootcache::runVerify(roots, vopts)); });

  std::optional<std::string> textfile;
  auto* metrics = app.add_subcommand("metrics", "Prometheus metrics (node_exporter textfile collector)");
  metrics
      ->add_option("--textfile", textfile,
                   "Write DIR/rootcache.prom (or FILE.prom) atomically instead of stdout, for node_exporter")
      ->option_text("DIR");
  addJson(metrics, json);
  metrics->callback([&] { done(rootcache::runMetrics(roots, textfile)); });

  auto* scope = app.add_subcommand("scope", "Choose the cgroup subtrees that are redirected");
  scope->require_subcommand(1);
  addJson(scope, json);
  std::vector<std::string> scopePaths;
  auto addScope = [&](const char* name, const char* help, rootcache::ScopeAction action, bool takesPaths) {
    auto* sub = scope->add_subcommand(name, help);
    if (takesPaths) {
      sub->add_option("CGROUP", scopePaths, "Cgroup paths (absolute or relative to the memory hierarchy)")->required();
    }
    addJson(sub, json);
    sub->callback([&, action] { done(rootcache::runScope(roots, action, scopePaths)); });
  };
  addScope("list", "List the scope as paths; mark IDs whose cgroup is gone", rootcache::ScopeAction::kList, false);
  addScope("add", "Add cgroup subtrees to the scope", rootcache::ScopeAction::kAdd, true);
  addScope("del", "Remove cgroups from the scope", rootcache::ScopeAction::kDel, true);
  addScope("clear", "Empty the scope (every cgroup is redirected)", rootcache::ScopeAction::kClear, false);
  addScope("prune", "Drop IDs whose cgroup no longer exists", rootcache::ScopeAction::kPrune, false);

  auto* target = app.add_subcommand("target", "Choose the cgroup (cache pool) redirected cache is charged to");
  target->require_subcommand(1);
  addJson(target, json);
  std::string targetPath;
  auto* targetShow = target->add_subcommand("show", "Show the target as a path and an ID");
  addJson(targetShow, json);
  targetShow->callback([&] { done(rootcache::runTarget(roots, rootcache::TargetAction::kShow)); });
  auto* targetSet = target->add_subcommand("set", "Charge redirected cache to CGROUP (its limits apply to it)");
  targetSet->add_option("CGROUP", targetPath, "Cgroup path (absolute or relative to the memory hierarchy)")->required();
  addJson(targetSet, json);
  targetSet->callback([&] { done(rootcache::runTarget(roots, rootcache::TargetAction::kSet, targetPath)); });
  auto* targetClear = target->add_subcommand("clear", "Charge redirected cache to the root cgroup again");
  addJson(targetClear, json);
  targetClear->callback([&] { done(rootcache::runTarget(roots, rootcache::TargetAction::kClear)); });

  std::vector<std::string> drainPaths;
  auto* drain = app.add_subcommand("drain", "Release page cache already charged to cgroups");
  rootcache::DrainOptions dopts;
  drain->add_option("CGROUP", drainPaths, "Cgroup paths")->required();
  drain->add_flag("--force", dopts.force, "Drain a group even when it has tasks (evicts their working set)");
  addJson(drain, json);
  drain->callback([&] { done(rootcache::runDrain(roots, drainPaths, dopts)); });

  std::string agentPath;
  auto* agent = app.add_subcommand("release-agent", "cgroup v1 release_agent: drain, then remove the cgroup");
  agent->add_option("CGROUP", agentPath, "Cgroup path relative to the memory hierarchy")->required();
  addJson(agent, json);
  agent->callback([&] { done(rootcache::runReleaseAgent(roots, agentPath)); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help and --version are successes; everything else is a usage error.
    return rc == 0 ? 0 : static_cast<int>(Exit::kUsage);
  }
  if (!ran) {
    std::cerr << app.help();
    return static_cast<int>(Exit::kUsage);
  }
  int rc = emit(result, json);
  // verify cleaned up after SIGINT, SIGTERM or SIGHUP: now die of it, so
  // that the caller (a shell loop, a supervisor) sees the signal.
  if (result.json.contains("interrupted_by")) {
    int sig = result.json["interrupted_by"].get<int>();
    (void)std::signal(sig, SIG_DFL);
    (void)std::raise(sig);
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rootcachectl: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "rootcachectl: internal error\n";
  }
  return static_cast<int>(Exit::kCheckFailed);
}
