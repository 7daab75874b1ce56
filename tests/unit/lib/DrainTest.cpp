// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "rootcache/Commands.h"
#include "rootcache/Drain.h"

namespace rootcache {
namespace {

TEST(Drain, V1ForceEmpty) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 1 << 20);
  Output o = runDrain(t.roots(), {"/job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
  EXPECT_EQ(o.json["results"][0]["method"], "memory.force_empty");
  EXPECT_EQ(o.json["results"][0]["file_bytes_before"], 1 << 20);
}

// v2 asks for file pages only: anonymous memory is never swapped out.
TEST(Drain, V2ReclaimAsksForFilePagesOnly) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  Output o = runDrain(t.roots(), {"job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.reclaim"), "8192 swappiness=0");
  EXPECT_EQ(o.json["results"][0]["method"], "memory.reclaim swappiness=0");
  EXPECT_EQ(o.json["results"][0]["file_only"], true);
}

// What the kernel was asked, in order; `reply` decides each answer.
struct FakeReclaim {
  std::vector<std::string> requests;
  std::function<int(const std::string&)> reply;  // errno, 0 for success
  Status operator()(std::string_view request) {
    requests.emplace_back(request);
    int err = reply(requests.back());
    if (err != 0) {
      return systemError(err, "cannot write to memory.reclaim");
    }
    return {};
  }
};

// Before 6.13 the kernel rejects the key with EINVAL: plain reclaim then.
TEST(Drain, ReclaimFallsBackWhenTheKernelRejectsSwappiness) {
  FakeReclaim fake{{}, [](const std::string& r) { return r.find("swappiness") != std::string::npos ? EINVAL : 0; }};
  auto out = reclaimFileFirst(std::ref(fake), 8192);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_FALSE(out->fileOnly);
  EXPECT_FALSE(out->partial);
  EXPECT_EQ(fake.requests, (std::vector<std::string>{"8192 swappiness=0", "8192"}));
}

TEST(Drain, ReclaimWithSwappinessTakenOnce) {
  FakeReclaim fake{{}, [](const std::string&) { return 0; }};
  auto out = reclaimFileFirst(std::ref(fake), 4096);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->fileOnly);
  EXPECT_EQ(fake.requests, (std::vector<std::string>{"4096 swappiness=0"}));
}

// EAGAIN (less reclaimed than asked) is partial, not a reason to retry
// without the key; other errors are errors, and plain reclaim is not tried.
TEST(Drain, ReclaimPartialAndErrors) {
  FakeReclaim again{{}, [](const std::string&) { return EAGAIN; }};
  auto out = reclaimFileFirst(std::ref(again), 4096);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->fileOnly);
  EXPECT_TRUE(out->partial);
  EXPECT_EQ(again.requests.size(), 1U);
  FakeReclaim denied{{}, [](const std::string&) { return EACCES; }};
  out = reclaimFileFirst(std::ref(denied), 4096);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().errnum, EACCES);
  EXPECT_EQ(denied.requests.size(), 1U);
}

// A group with tasks is refused, nothing written; --force drains it and
// says how many processes it had.
TEST(Drain, RefusesGroupWithTasksUnlessForced) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 1 << 20);
  test::FixtureTree::put(d + "/cgroup.procs", "4242\n4243\n");
  Output o = runDrain(t.roots(), {"/job"});
  EXPECT_EQ(o.exit, Exit::kUsage) << o.text;
  std::string err = o.json["results"][0]["error"];
  EXPECT_NE(err.find("has tasks (2 processes"), std::string::npos) << err;
  EXPECT_NE(err.find("--force"), std::string::npos) << err;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "");
  o = runDrain(t.roots(), {"/job"}, DrainOptions{true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
  EXPECT_EQ(o.json["results"][0]["tasks"], 2);
  EXPECT_NE(o.text.find("warning: drained with --force while it has 2 processes"), std::string::npos) << o.text;
}

// --force on a v2 group with tasks: with swappiness=0 only file pages were
// reclaimed, so no risk is named; without it (a kernel before 6.13) the
// warning says anonymous memory may have been swapped out.
TEST(Drain, ForceWarningNamesTheRiskOnV2) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  test::FixtureTree::put(d + "/cgroup.procs", "4242\n");
  Output o = runDrain(t.roots(), {"job"}, DrainOptions{true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_NE(o.text.find("warning: drained with --force while it has 1 process\n"), std::string::npos) << o.text;
  test::FakeKernelFs fs;
  fs.fail(test::FakeKernelFs::Op::kWrite, d + "/memory.reclaim", EINVAL, 1);
  o = runDrain(t.roots(), {"job"}, DrainOptions{true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_EQ(o.json["results"][0]["file_only"], false);
  EXPECT_NE(o.text.find("warning: drained with --force while it has 1 process (this kernel has no swappiness=0: its "
                        "anonymous memory may be swapped out)\n"),
            std::string::npos)
      << o.text;
}

// v2: a task in a descendant counts (cgroup.events "populated" covers the
// subtree; the scan of cgroup.procs finds it too).
TEST(Drain, V2RefusesPopulatedSubtree) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  test::FixtureTree::put(d + "/cgroup.events", "populated 1\nfrozen 0\n");
  test::FixtureTree::put(d + "/step/cgroup.procs", "77\n");
  Output o = runDrain(t.roots(), {"job"});
  EXPECT_EQ(o.exit, Exit::kUsage) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.reclaim"), "");
  // populated alone (threads only, or a task that joined after the scan).
  std::filesystem::remove_all(d + "/step");
  EXPECT_EQ(runDrain(t.roots(), {"job"}).exit, Exit::kUsage);
  test::FixtureTree::put(d + "/cgroup.events", "populated 0\nfrozen 0\n");
  EXPECT_EQ(runDrain(t.roots(), {"job"}).exit, Exit::kOk);
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.reclaim"), "8192 swappiness=0");
}

TEST(Drain, V2WithoutReclaimSaysWhy) {
  test::FixtureTree t;
  t.cgroupV2();
  t.cgV2("job", 8192);
  Output o = runDrain(t.roots(), {"job"});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  std::string err = o.json["results"][0]["error"];
  EXPECT_NE(err.find("memory.reclaim"), std::string::npos);
  EXPECT_NE(err.find("5.19"), std::string::npos);
}

TEST(Drain, RefusesRootAndMissing) {
  test::FixtureTree t;
  t.cgroupV1();
  EXPECT_EQ(runDrain(t.roots(), {"/"}).exit, Exit::kUsage);
  EXPECT_EQ(runDrain(t.roots(), {"/nope"}).exit, Exit::kUsage);
}

TEST(Drain, GarbageStat) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 5);
  test::FixtureTree::put(d + "/memory.stat", "garbage\n");
  EXPECT_EQ(runDrain(t.roots(), {"job"}).exit, Exit::kCheckFailed);
}

TEST(ReleaseAgent, DrainsAndRemoves) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("yarn/c1", 4096);
  // A real cgroupfs directory can be removed with its files; a fixture
  // directory cannot: remove the files the kernel would not have.
  Output o = runReleaseAgent(t.roots(), "/yarn/c1");
  // rmdir fails on the fixture (not empty) but the drain happened.
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
  EXPECT_EQ(o.json["removed"], false);
  EXPECT_NE(o.exit, Exit::kOk);
}

TEST(ReleaseAgent, RemovesEmptyDirectory) {
  test::FixtureTree t;
  t.cgroupV1();
  std::filesystem::create_directories(t.roots().cgroup + "/memory/empty");
  Output o = runReleaseAgent(t.roots(), "/empty");
  // Drain fails (no files), removal still happens.
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["removed"], true);
  EXPECT_FALSE(exists(t.roots().cgroup + "/memory/empty"));
}

TEST(ReleaseAgent, AlreadyGoneIsFine) {
  test::FixtureTree t;
  t.cgroupV1();
  EXPECT_EQ(runReleaseAgent(t.roots(), "/gone").exit, Exit::kOk);
  EXPECT_EQ(runReleaseAgent(t.roots(), "/").exit, Exit::kUsage);
}

// The cgroup goes away while the agent works on it (another agent removed
// it): rmdir's ENOENT is success too. memory.stat is a FIFO, so the group is
// moved away exactly while the agent reads it, after it was found.
TEST(ReleaseAgent, GoneWhileDrainingIsFine) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("yarn/c2", 4096);
  std::filesystem::remove(d + "/memory.stat");
  ASSERT_EQ(::mkfifo((d + "/memory.stat").c_str(), 0600), 0);
  std::string moved = t.base() + "/moved";
  std::thread remover([&] {
    int fd = -1;
    for (int i = 0; i < 1000 && fd < 0; ++i) {  // up to 10 s for the agent to open it
      fd = ::open((d + "/memory.stat").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);  // NOLINT
      if (fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    std::filesystem::rename(d, moved);
    if (fd >= 0) {
      (void)::write(fd, "cache 4096\n", 11);
      ::close(fd);
    }
  });
  Output o = runReleaseAgent(t.roots(), "/yarn/c2");
  remover.join();
  EXPECT_FALSE(exists(d));
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_NE(o.text.find("already gone"), std::string::npos) << o.text;
}

// The table on stdout holds the drained cgroups; what failed, and why, is
// on stderr, naming the argument.
TEST(Drain, ErrorsNotInTheTable) {
  test::FixtureTree t;
  t.cgroupV1();
  t.cgV1("job", 4096);
  Output o = runDrain(t.roots(), {"/job", "/nope"});
  EXPECT_EQ(o.exit, Exit::kUsage);
  EXPECT_EQ(o.text.rfind("CGROUP ", 0), 0U) << o.text;
  EXPECT_NE(o.text.find("/job "), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("nope"), std::string::npos) << o.text;
  EXPECT_EQ(o.errors.rfind("rootcachectl: drain /nope: no such cgroup", 0), 0U) << o.errors;
  // Nothing drained: no table at all.
  o = runDrain(t.roots(), {"/nope"});
  EXPECT_EQ(o.text, "");
  EXPECT_NE(o.errors, "");
}

// The errno paths of drain and release-agent, through FakeKernelFs.
using Op = test::FakeKernelFs::Op;

// EAGAIN from memory.reclaim: the kernel reclaimed less than asked. A
// partial drain, reported as such, not an error.
TEST(DrainErrno, ReclaimEagainIsPartial) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  test::FakeKernelFs fs;
  fs.fail(Op::kWrite, d + "/memory.reclaim", EAGAIN);
  Output o = runDrain(t.roots(), {"job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["results"][0]["partial"], true);
  EXPECT_EQ(o.json["results"][0]["file_only"], true);
  EXPECT_NE(o.text.find("memory.reclaim swappiness=0 (partial)"), std::string::npos) << o.text;
  EXPECT_EQ(fs.writesTo(d + "/memory.reclaim"), std::vector<std::string>{"8192 swappiness=0"});
  // A kernel without swappiness= (EINVAL), then EAGAIN on the plain request.
  test::FakeKernelFs older;
  older.fail(Op::kWrite, d + "/memory.reclaim", EINVAL, 1);
  older.fail(Op::kWrite, d + "/memory.reclaim", EAGAIN, 1);
  o = runDrain(t.roots(), {"job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["results"][0]["partial"], true);
  EXPECT_EQ(o.json["results"][0]["file_only"], false);
  EXPECT_EQ(older.writesTo(d + "/memory.reclaim"), (std::vector<std::string>{"8192 swappiness=0", "8192"}));
}

// Any other errno is an error: EBUSY, ENOSPC, EACCES (exit 3: needs root).
TEST(DrainErrno, ReclaimErrorsAreErrors) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  for (auto [err, exit] : {std::pair{EBUSY, Exit::kCheckFailed}, std::pair{ENOSPC, Exit::kCheckFailed},
                           std::pair{EACCES, Exit::kEnvironment}}) {
    test::FakeKernelFs fs;
    fs.fail(Op::kWrite, d + "/memory.reclaim", err);
    Output o = runDrain(t.roots(), {"job"});
    EXPECT_EQ(o.exit, exit) << o.text;
    std::string e = o.json["results"][0]["error"];
    EXPECT_NE(e.find(std::strerror(err)), std::string::npos) << e;
    EXPECT_EQ(fs.writesTo(d + "/memory.reclaim").size(), 1U) << "no retry without the key after " << err;
  }
}

// v1: memory.force_empty says EBUSY when tasks joined meanwhile.
TEST(DrainErrno, ForceEmptyBusy) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 4096);
  test::FakeKernelFs fs;
  fs.fail(Op::kWrite, d + "/memory.force_empty", EBUSY);
  Output o = runDrain(t.roots(), {"job"});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  std::string e = o.json["results"][0]["error"];
  EXPECT_NE(e.find("Device or resource busy"), std::string::npos) << e;
}

// A cgroup removed between resolving and reading: ENOENT is an error of
// that cgroup only.
TEST(DrainErrno, StatGoneIsThatCgroupsError) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string a = t.cgV1("a", 4096);
  t.cgV1("b", 4096);
  test::FakeKernelFs fs;
  fs.fail(Op::kRead, a + "/memory.stat", ENOENT);
  Output o = runDrain(t.roots(), {"a", "b"});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_TRUE(o.json["results"][0].contains("error"));
  EXPECT_EQ(o.json["results"][1]["method"], "memory.force_empty");
}

// release-agent: rmdir's EBUSY (a task came back, or a child appeared)
// leaves the cgroup and says so; ENOENT is "already gone"; EACCES needs root.
TEST(ReleaseAgentErrno, RmdirBusy) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.roots().cgroup + "/memory/yarn/c3";
  std::filesystem::create_directories(d);
  test::FakeKernelFs fs;
  fs.fail(Op::kRmdir, d, EBUSY);
  Output o = runReleaseAgent(t.roots(), "/yarn/c3");
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.errors;
  EXPECT_EQ(o.json["removed"], false);
  EXPECT_FALSE(o.json.contains("note"));
  EXPECT_NE(o.errors.find("Device or resource busy"), std::string::npos) << o.errors;
  EXPECT_TRUE(isDirectory(d));
}

TEST(ReleaseAgentErrno, RmdirGoneOrDenied) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.roots().cgroup + "/memory/c4";
  std::filesystem::create_directories(d);
  {
    test::FakeKernelFs fs;
    fs.fail(Op::kRmdir, d, ENOENT);
    Output o = runReleaseAgent(t.roots(), "/c4");
    EXPECT_EQ(o.exit, Exit::kOk) << o.text;
    EXPECT_EQ(o.json["note"], "already gone");
  }
  test::FakeKernelFs fs;
  fs.fail(Op::kRmdir, d, EACCES);
  Output o = runReleaseAgent(t.roots(), "/c4");
  EXPECT_EQ(o.exit, Exit::kEnvironment) << o.text;
  EXPECT_EQ(o.json["removed"], false);
}

}  // namespace
}  // namespace rootcache
