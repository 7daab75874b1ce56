// SPDX-License-Identifier: GPL-2.0
// Fixture trees: a temporary directory with sys/, cgroup/, proc/ and etc/
// laid out like the kernel's, for the tool's --*-root options.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "rootcache/Fs.h"

namespace rootcache::test {

class FixtureTree {
 public:
  FixtureTree() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rootcache-test.XXXXXX").string();
    char* d = ::mkdtemp(tmpl.data());
    if (d == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    base_ = tmpl;
    roots_.sysfs = base_ + "/sys";
    roots_.cgroup = base_ + "/sys/fs/cgroup";
    roots_.proc = base_ + "/proc";
    roots_.etc = base_ + "/etc";
    roots_.run = base_ + "/run";
    std::filesystem::create_directories(roots_.cgroup);
    std::filesystem::create_directories(roots_.proc + "/sys/kernel");
    std::filesystem::create_directories(roots_.etc);
    std::filesystem::create_directories(roots_.run);
    put(roots_.proc + "/sys/kernel/osrelease", "6.1.0-test-amd64\n");
  }
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;
  FixtureTree(FixtureTree&&) = delete;
  FixtureTree& operator=(FixtureTree&&) = delete;
  ~FixtureTree() {
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }

  [[nodiscard]] const Roots& roots() const { return roots_; }
  [[nodiscard]] const std::string& base() const { return base_; }
  [[nodiscard]] std::string moduleDir() const { return roots_.sysfs + "/kernel/rootcache"; }

  static void put(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream f(path, std::ios::trunc);
    f << content;
  }
  [[nodiscard]] static std::string get(const std::string& path) {
    std::ifstream f(path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }

  // The module's sysfs directory and parameters: every file the ABI
  // (Documentation/ABI/testing/sysfs-kernel-rootcache) lists, which
  // ModuleTest checks.
  void module(bool enabled = true, const std::string& scope = "",
              const std::map<std::string, std::string>& stats = {}) {
    put(moduleDir() + "/enabled", enabled ? "1\n" : "0\n");
    put(moduleDir() + "/version", "0.1.0\n");
    put(moduleDir() + "/hook", "filemap_add_folio\n");
    put(moduleDir() + "/hook_mechanism", "ftrace\n");
    put(moduleDir() + "/hook_state", "ok\n");
    put(moduleDir() + "/metadata", "1\n");
    put(moduleDir() + "/scope", scope);
    put(moduleDir() + "/target", "0\n");
    std::map<std::string, std::string> all = {
        {"redirected_folios", "8192\n"}, {"redirected_bytes", "33554432\n"},
        {"skipped_unevictable", "3\n"},  {"skipped_not_regular", "17\n"},
        {"skipped_out_of_scope", "0\n"}, {"redirected_inode_writeback", "0\n"},
        {"redirect_failed", "0\n"},      {"redirected_metadata_folios", "0\n"},
        {"redirected_collapses", "0\n"}, {"target_fallbacks", "0\n"},
        {"probe_misses", "0\n"},         {"in_flight", "0\n"},
    };
    for (const auto& [k, v] : stats) {
      all[k] = v;
    }
    for (const auto& [k, v] : all) {
      put(moduleDir() + "/stats/" + k, v);
    }
    put(roots_.sysfs + "/module/rootcache/parameters/enabled", enabled ? "Y\n" : "N\n");
    put(roots_.sysfs + "/module/rootcache/parameters/maxactive", "512\n");
    put(roots_.sysfs + "/module/rootcache/parameters/metadata", "Y\n");
    put(roots_.sysfs + "/module/rootcache/parameters/hook_mechanism", "auto\n");
  }

  // cgroup v2 at the root with the memory controller; `dying` dying
  // descendants.
  void cgroupV2(std::uint64_t dying = 0) {
    const std::string& r = roots_.cgroup;
    put(r + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    put(r + "/cgroup.subtree_control", "cpu io memory pids\n");
    put(r + "/cgroup.stat", "nr_descendants 3\nnr_dying_descendants " + std::to_string(dying) + "\n");
    put(r + "/memory.stat", "anon 1000\nfile 50000000\nkernel 10\n");
    put(r + "/cgroup.procs", "");
  }
  // A v2 child cgroup with `file` bytes of page cache.
  std::string cgV2(const std::string& rel, std::uint64_t file = 0) {
    std::string d = roots_.cgroup + "/" + rel;
    put(d + "/cgroup.controllers", "memory\n");
    put(d + "/memory.stat", "anon 0\nfile " + std::to_string(file) + "\n");
    put(d + "/memory.current", std::to_string(file + 4096) + "\n");
    put(d + "/cgroup.procs", "");
    return d;
  }

  // cgroup v1 with a memory hierarchy; /proc/cgroups counts `numCgroups`.
  void cgroupV1(std::uint64_t numCgroups = 1, bool hybrid = false) {
    std::string m = roots_.cgroup + "/memory";
    put(m + "/memory.usage_in_bytes", "123456\n");
    put(m + "/memory.stat", "cache 40000000\nrss 1000\ntotal_cache 90000000\n");
    put(m + "/cgroup.procs", "");
    put(m + "/tasks", "");
    if (hybrid) {
      put(roots_.cgroup + "/unified/cgroup.controllers", "\n");
    }
    setProcCgroups(numCgroups);
  }
  void setProcCgroups(std::uint64_t numCgroups) {
    put(roots_.proc + "/cgroups",
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
        "cpuset\t2\t1\t1\n"
        "memory\t5\t" +
            std::to_string(numCgroups) + "\t1\n" + "pids\t3\t4\t1\n");
  }
  // <proc>/self/mountinfo. Its mount points are under base() (the tool maps
  // them there because --cgroup-root is <base>/sys/fs/cgroup).
  void mountinfo(const std::string& text) { put(roots_.proc + "/self/mountinfo", text); }
  // A v1 memory hierarchy's root files at `dir`.
  static void v1MemoryFiles(const std::string& dir) {
    put(dir + "/memory.usage_in_bytes", "123456\n");
    put(dir + "/memory.stat", "cache 40000000\nrss 1000\ntotal_cache 90000000\n");
    put(dir + "/cgroup.procs", "");
    put(dir + "/tasks", "");
  }
  std::string cgV1(const std::string& rel, std::uint64_t cache = 0) {
    std::string d = roots_.cgroup + "/memory/" + rel;
    put(d + "/memory.stat", "cache " + std::to_string(cache) + "\nrss 0\n");
    put(d + "/memory.usage_in_bytes", std::to_string(cache + 4096) + "\n");
    put(d + "/memory.force_empty", "");
    put(d + "/cgroup.procs", "");
    put(d + "/tasks", "");
    return d;
  }

 private:
  std::string base_;
  Roots roots_;
};

}  // namespace rootcache::test
