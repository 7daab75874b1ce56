// SPDX-License-Identifier: GPL-2.0
// rootcachectl: the thin front end. Parses arguments with CLI11, calls the
// library, prints text or JSON, and exits with the documented code. Every
// command is one row of kCommands: its name, its options and its handler.
#include <CLI/CLI.hpp>
#include <array>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rootcache/Commands.h"

namespace {

using rootcache::Exit;
using rootcache::Output;

// What the command line says; each command's handler reads its part.
struct Args {
  rootcache::Roots roots;
  bool json = false;
  bool persist = false;
  rootcache::VerifyOptions verify;
  std::optional<std::string> textfile;
  std::vector<std::string> cgroups;  // scope add|del, drain
  std::string cgroup;                // target set, release-agent
  rootcache::DrainOptions drain;
};

// One command: "NAME" or "GROUP NAME" (a subcommand of a group below).
struct Command {
  std::string_view name;
  std::string_view help;
  void (*options)(CLI::App& cmd, Args& args);  // the command's own options; nullptr: none
  Output (*handler)(const Args& args);
};

struct Group {
  std::string_view name;
  std::string_view help;
};

constexpr std::array kGroups = {
    Group{"scope", "Choose the cgroup subtrees that are redirected"},
    Group{"target", "Choose the cgroup (cache pool) redirected cache is charged to"},
};

void cgroupPaths(CLI::App& cmd, Args& a) {
  cmd.add_option("CGROUP", a.cgroups, "Cgroup paths (absolute or relative to the memory hierarchy)")->required();
}

constexpr std::array kCommands = {
    Command{"status", "Show module state, counters, cgroup mode and health", nullptr,
            [](const Args& a) { return rootcache::runStatus(a.roots); }},
    Command{"enable", "Charge new page cache to the root cgroup",
            [](CLI::App& cmd, Args& a) {
              cmd.add_flag("--persist", a.persist,
                           "Also set enabled=1 in /etc/rootcache/rootcache.conf (the next boots)");
            },
            [](const Args& a) {
              return rootcache::runEnable(a.roots, {true, a.persist});
            }},
    Command{"disable", "Charge new page cache normally again",
            [](CLI::App& cmd, Args& a) {
              cmd.add_flag("--persist", a.persist,
                           "Also set enabled=0 in /etc/rootcache/rootcache.conf (the next boots)");
            },
            [](const Args& a) {
              return rootcache::runEnable(a.roots, {false, a.persist});
            }},
    Command{
        "verify", "Prove end to end that page cache is redirected",
        [](CLI::App& cmd, Args& a) {
          auto& v = a.verify;
          cmd.add_option("--size", v.sizeMiB, "File size in MiB")->capture_default_str()->check(CLI::Range(1, 65536));
          cmd.add_option("--dir", v.dir, "Directory on a real filesystem for the test file")->capture_default_str();
          cmd.add_flag("--keep", v.keep, "Keep the scratch cgroups and file");
          cmd.add_flag("--expect-disabled", v.expectDisabled,
                       "Expect normal charging (module disabled or cgroup out of scope), not redirection");
          cmd.add_option("--parent", v.parent, "Make the scratch cgroups under CGROUP (default: the root)");
          cmd.add_option("--settle", v.settleSeconds, "Seconds to wait for the removed cgroup to go")
              ->capture_default_str()
              ->check(CLI::Range(0.0, 600.0));
        },
        [](const Args& a) { return rootcache::runVerify(a.roots, a.verify); }},
    Command{"metrics", "Prometheus metrics (node_exporter textfile collector)",
            [](CLI::App& cmd, Args& a) {
              cmd.add_option("--textfile", a.textfile,
                             "Write DIR/rootcache.prom (or FILE.prom) atomically instead of stdout, for node_exporter")
                  ->option_text("DIR");
            },
            [](const Args& a) { return rootcache::runMetrics(a.roots, a.textfile); }},
    Command{"scope list", "List the scope as paths; mark IDs whose cgroup is gone", nullptr,
            [](const Args& a) { return rootcache::runScope(a.roots, rootcache::ScopeAction::kList, {}); }},
    Command{"scope add", "Add cgroup subtrees to the scope", cgroupPaths,
            [](const Args& a) { return rootcache::runScope(a.roots, rootcache::ScopeAction::kAdd, a.cgroups); }},
    Command{"scope del", "Remove cgroups from the scope", cgroupPaths,
            [](const Args& a) { return rootcache::runScope(a.roots, rootcache::ScopeAction::kDel, a.cgroups); }},
    Command{"scope clear", "Empty the scope (every cgroup is redirected)", nullptr,
            [](const Args& a) { return rootcache::runScope(a.roots, rootcache::ScopeAction::kClear, {}); }},
    Command{"scope prune", "Drop IDs whose cgroup no longer exists", nullptr,
            [](const Args& a) { return rootcache::runScope(a.roots, rootcache::ScopeAction::kPrune, {}); }},
    Command{"target show", "Show the target as a path and an ID", nullptr,
            [](const Args& a) { return rootcache::runTarget(a.roots, rootcache::TargetAction::kShow); }},
    Command{
        "target set", "Charge redirected cache to CGROUP (its limits apply to it)",
        [](CLI::App& cmd, Args& a) {
          cmd.add_option("CGROUP", a.cgroup, "Cgroup path (absolute or relative to the memory hierarchy)")->required();
        },
        [](const Args& a) { return rootcache::runTarget(a.roots, rootcache::TargetAction::kSet, a.cgroup); }},
    Command{"target clear", "Charge redirected cache to the root cgroup again", nullptr,
            [](const Args& a) { return rootcache::runTarget(a.roots, rootcache::TargetAction::kClear); }},
    Command{"drain", "Release page cache already charged to cgroups",
            [](CLI::App& cmd, Args& a) {
              cmd.add_option("CGROUP", a.cgroups, "Cgroup paths")->required();
              cmd.add_flag("--force", a.drain.force, "Drain a group even when it has tasks (evicts their working set)");
            },
            [](const Args& a) { return rootcache::runDrain(a.roots, a.cgroups, a.drain); }},
    Command{"release-agent", "cgroup v1 release_agent: drain, then remove the cgroup",
            [](CLI::App& cmd, Args& a) {
              cmd.add_option("CGROUP", a.cgroup, "Cgroup path relative to the memory hierarchy")->required();
            },
            [](const Args& a) { return rootcache::runReleaseAgent(a.roots, a.cgroup); }},
};

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

// The program and its global options; kCommands' rows are added to it by
// addCommand.
void setUpApp(CLI::App& app, Args& args) {
  app.require_subcommand(1);
  // Global options (--json, roots) may also follow the subcommand.
  app.fallthrough();
  app.add_flag("--json", args.json, "Print JSON instead of text");
  // Testing only (fixture trees, see userspace/README.md): accepted, not in
  // --help (an empty group hides an option).
  rootcache::Roots& r = args.roots;
  for (auto [name, value] : {std::pair<const char*, std::string*>{"--sysfs-root", &r.sysfs},
                             {"--cgroup-root", &r.cgroup},
                             {"--proc-root", &r.proc},
                             {"--etc-root", &r.etc},
                             {"--run-root", &r.run}}) {
    app.add_option(name, *value)->group("");
  }
  app.set_version_flag("--version", std::string(ROOTCACHE_TOOL_VERSION));
}

// The group `name` of kGroups, made at its first command (so that --help
// lists everything in the order of kCommands).
CLI::App* group(CLI::App& app, std::string_view name, bool& json) {
  auto made = app.get_subcommands([name](CLI::App* s) { return s->get_name() == name; });
  if (!made.empty()) {
    return made.front();
  }
  std::string_view help;
  for (const Group& g : kGroups) {
    if (g.name == name) {
      help = g.help;
    }
  }
  CLI::App* g = app.add_subcommand(std::string(name), std::string(help));
  g->require_subcommand(1);
  addJson(g, json);
  return g;
}

// The row as a subcommand that, when given, makes `chosen` point at it.
void addCommand(CLI::App& app, const Command& c, Args& args, const Command*& chosen) {
  CLI::App* parent = &app;
  std::string_view name = c.name;
  if (auto space = name.find(' '); space != std::string_view::npos) {
    parent = group(app, name.substr(0, space), args.json);
    name.remove_prefix(space + 1);
  }
  CLI::App* cmd = parent->add_subcommand(std::string(name), std::string(c.help));
  if (c.options != nullptr) {
    c.options(*cmd, args);
  }
  addJson(cmd, args.json);
  cmd->callback([&chosen, &c] { chosen = &c; });
}

// Installed as a v1 release_agent the kernel runs us with one argument,
// the cgroup path, and no way to add a subcommand: act on the name.
int runAsReleaseAgent(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rootcache-release-agent CGROUP\n";
    return static_cast<int>(Exit::kUsage);
  }
  return static_cast<int>(
      rootcache::runReleaseAgent({}, argv[1]).exit);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
}

// verify cleaned up after SIGINT, SIGTERM or SIGHUP: now die of it, so that
// the caller (a shell loop, a supervisor) sees the signal.
void reraiseInterrupt(const Output& out) {
  if (out.json.contains("interrupted_by")) {
    int sig = out.json["interrupted_by"].get<int>();
    (void)std::signal(sig, SIG_DFL);
    (void)std::raise(sig);
  }
}

int run(int argc, char** argv) {
  if (baseName(argv[0]) == "rootcache-release-agent") {  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    return runAsReleaseAgent(argc, argv);
  }
  CLI::App app{"rootcachectl: control the rootcache module (page cache charged to the root memory cgroup)",
               "rootcachectl"};
  Args args;
  setUpApp(app, args);
  const Command* chosen = nullptr;
  for (const Command& c : kCommands) {
    addCommand(app, c, args, chosen);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are successes; everything else is a usage error.
    return app.exit(e) == 0 ? 0 : static_cast<int>(Exit::kUsage);
  }
  if (chosen == nullptr) {
    std::cerr << app.help();
    return static_cast<int>(Exit::kUsage);
  }
  const Output out = chosen->handler(args);
  const int rc = emit(out, args.json);
  reraiseInterrupt(out);
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
