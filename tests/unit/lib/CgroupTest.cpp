// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "Fixture.h"
#include "rootcache/Cgroup.h"

namespace rootcache {
namespace {

TEST(Mode, Detection) {
  {
    test::FixtureTree t;
    EXPECT_EQ(detectMode(t.roots()), CgroupMode::kNone);
    auto h = findMemoryHierarchy(t.roots());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().exit, Exit::kEnvironment);
  }
  {
    test::FixtureTree t;
    t.cgroupV2();
    EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV2);
    auto h = findMemoryHierarchy(t.roots());
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->v2);
    EXPECT_EQ(h->root, t.roots().cgroup);
  }
  {
    test::FixtureTree t;
    t.cgroupV1();
    EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV1);
    auto h = findMemoryHierarchy(t.roots());
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(h->v2);
    EXPECT_EQ(h->root, t.roots().cgroup + "/memory");
  }
  {
    test::FixtureTree t;
    t.cgroupV1(1, true);
    EXPECT_EQ(detectMode(t.roots()), CgroupMode::kHybrid);
    EXPECT_EQ(findMemoryHierarchy(t.roots())->root, t.roots().cgroup + "/memory");
  }
}

TEST(Mode, V2WithoutMemoryController) {
  test::FixtureTree t;
  t.cgroupV2();
  test::FixtureTree::put(t.roots().cgroup + "/cgroup.controllers", "cpu io pids\n");
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().exit, Exit::kEnvironment);
}

// Mount table lines as the kernel writes them.
std::string mountLine(const std::string& point, const std::string& type, const std::string& opts,
                      const std::string& root = "/") {
  static int id = 30;
  ++id;
  return std::to_string(id) + " 24 0:" + std::to_string(id) + " " + root + " " + point +
         " rw,nosuid,nodev,noexec,relatime shared:" + std::to_string(id) + " - " + type + " " + type + " " + opts +
         "\n";
}
const std::string kRootFs = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n";
const std::string kSysfs = "23 22 0:21 / /sys rw,nosuid shared:2 - sysfs sysfs rw\n";
const std::string kCgroupTmpfs = "24 23 0:23 / /sys/fs/cgroup ro shared:3 - tmpfs tmpfs ro,mode=755\n";

TEST(Discovery, CoMountedV1) {
  test::FixtureTree t;
  const std::string mp = t.base() + "/sys/fs/cgroup/cpu,memory";
  test::FixtureTree::v1MemoryFiles(mp);
  t.mountinfo(kRootFs + kSysfs + kCgroupTmpfs + mountLine("/sys/fs/cgroup/cpu,memory", "cgroup", "rw,cpu,memory") +
              mountLine("/sys/fs/cgroup/pids", "cgroup", "rw,pids"));
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV1);
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_FALSE(h->v2);
  EXPECT_EQ(h->root, mp);
}

TEST(Discovery, NonStandardMountPoint) {
  test::FixtureTree t;
  const std::string mp = t.base() + "/cgroup/mem";
  test::FixtureTree::v1MemoryFiles(mp);
  t.mountinfo(kRootFs + mountLine("/cgroup/mem", "cgroup", "rw,memory"));
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_EQ(h->root, mp);
  EXPECT_EQ(h->mode, CgroupMode::kV1);
  // The cgroups are found there too.
  test::FixtureTree::put(mp + "/yarn/memory.stat", "cache 8192\n");
  auto cg = CgroupPath::resolve(*h, "/yarn");
  ASSERT_TRUE(cg.ok());
  EXPECT_EQ(cg->absolute(), mp + "/yarn");
  EXPECT_EQ(*fileBytes(*cg), 8192U);
}

TEST(Discovery, V2Only) {
  test::FixtureTree t;
  t.cgroupV2();
  t.mountinfo(kRootFs + kSysfs + mountLine("/sys/fs/cgroup", "cgroup2", "rw,nsdelegate,memory_recursiveprot"));
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV2);
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->v2);
  EXPECT_EQ(h->root, t.roots().cgroup);
}

TEST(Discovery, V2ElsewhereWithoutMemoryIsNoMemory) {
  test::FixtureTree t;
  test::FixtureTree::put(t.base() + "/cg2/cgroup.controllers", "cpu io pids\n");
  t.mountinfo(kRootFs + mountLine("/cg2", "cgroup2", "rw"));
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV2);
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().exit, Exit::kEnvironment);
  test::FixtureTree::put(t.base() + "/cg2/cgroup.controllers", "cpu io memory pids\n");
  EXPECT_EQ(findMemoryHierarchy(t.roots())->root, t.base() + "/cg2");
}

TEST(Discovery, HybridPrefersV1Memory) {
  test::FixtureTree t;
  t.cgroupV1(1, true);
  t.mountinfo(kRootFs + kSysfs + kCgroupTmpfs + mountLine("/sys/fs/cgroup/unified", "cgroup2", "rw,nsdelegate") +
              mountLine("/sys/fs/cgroup/systemd", "cgroup", "rw,xattr,name=systemd") +
              mountLine("/sys/fs/cgroup/memory", "cgroup", "rw,memory"));
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kHybrid);
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->v2);
  EXPECT_EQ(h->root, t.roots().cgroup + "/memory");
  EXPECT_EQ(h->mode, CgroupMode::kHybrid);
}

TEST(Discovery, EscapedMountPoint) {
  test::FixtureTree t;
  const std::string mp = t.base() + "/cgroup/my mem";
  test::FixtureTree::v1MemoryFiles(mp);
  t.mountinfo(kRootFs + mountLine("/cgroup/my\\040mem", "cgroup", "rw,memory"));
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_EQ(h->root, mp);
}

TEST(Discovery, NoCgroupMounts) {
  test::FixtureTree t;
  t.mountinfo(kRootFs + kSysfs);
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kNone);
  auto h = findMemoryHierarchy(t.roots());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().exit, Exit::kEnvironment);
  EXPECT_NE(h.error().message.find("no memory controller"), std::string::npos);
}

TEST(Discovery, V1WithoutMemory) {
  test::FixtureTree t;
  t.mountinfo(kRootFs + mountLine("/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"));
  EXPECT_EQ(detectMode(t.roots()), CgroupMode::kV1);
  EXPECT_FALSE(findMemoryHierarchy(t.roots()).ok());
}

TEST(Discovery, MountTableOrder) {
  // A subtree bind mount ranks after the whole hierarchy; the standard
  // place first; a mount point mounted over is hidden.
  std::vector<MountEntry> e = {
      {"/docker/abc", "/containers/mem", "cgroup", {"rw", "memory"}},
      {"/", "/cgroup/memory", "cgroup", {"rw", "memory"}},
      {"/", "/sys/fs/cgroup/memory", "cgroup", {"rw", "memory"}},
      {"/", "/hidden", "cgroup", {"rw", "memory"}},
      {"/", "/hidden", "tmpfs", {"rw"}},
      {"/", "/sys/fs/cgroup/unified", "cgroup2", {"rw"}},
      {"/", "/sys/fs/cgroup/", "cgroup2", {"rw"}},
  };
  CgroupMounts m = cgroupMounts(e, "/fx");
  EXPECT_EQ(m.v1Memory,
            (std::vector<std::string>{"/fx/sys/fs/cgroup/memory", "/fx/cgroup/memory", "/fx/containers/mem"}));
  EXPECT_EQ(m.v2, (std::vector<std::string>{"/fx/sys/fs/cgroup", "/fx/sys/fs/cgroup/unified"}));
  EXPECT_TRUE(m.v1Any);
}

TEST(Discovery, MountPrefix) {
  Roots r;
  EXPECT_EQ(mountPrefix(r), "");
  r.cgroup = "/tmp/x/sys/fs/cgroup/";
  EXPECT_EQ(mountPrefix(r), "/tmp/x");
  r.cgroup = "/tmp/tree";
  EXPECT_EQ(mountPrefix(r), std::nullopt);
}

// --cgroup-root that is not .../sys/fs/cgroup: the tree given is probed at
// fixed paths, whatever the mount table says.
TEST(Discovery, OtherCgroupRootIgnoresMountinfo) {
  test::FixtureTree t;
  t.mountinfo(kRootFs + mountLine("/cgroup/mem", "cgroup", "rw,memory"));
  Roots r = t.roots();
  r.cgroup = t.base() + "/tree";
  test::FixtureTree::v1MemoryFiles(r.cgroup + "/memory");
  auto h = findMemoryHierarchy(r);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->root, r.cgroup + "/memory");
}

TEST(CgroupPath, Resolve) {
  test::FixtureTree t;
  t.cgroupV2();
  t.cgV2("yarn/c1");
  auto h = *findMemoryHierarchy(t.roots());
  for (const std::string& arg :
       std::vector<std::string>{"yarn/c1", "/yarn/c1", "/yarn/c1/", t.roots().cgroup + "/yarn/c1"}) {
    auto cg = CgroupPath::resolve(h, arg);
    ASSERT_TRUE(cg.ok()) << arg;
    EXPECT_EQ(cg->display(), "/yarn/c1");
    EXPECT_EQ(cg->absolute(), t.roots().cgroup + "/yarn/c1");
  }
  EXPECT_TRUE(CgroupPath::resolve(h, "/")->isRoot());
  EXPECT_TRUE(CgroupPath::resolve(h, t.roots().cgroup)->isRoot());
  EXPECT_EQ(CgroupPath::resolve(h, "nope").error().errnum, ENOENT);
  EXPECT_EQ(CgroupPath::resolve(h, "yarn/../yarn").error().exit, Exit::kUsage);
  EXPECT_EQ(CgroupPath::resolve(h, "").error().exit, Exit::kUsage);
}

// Paths are used as given: "/yarn " is not "/yarn", and a name may end
// with a space.
TEST(CgroupPath, ResolveDoesNotTrim) {
  test::FixtureTree t;
  t.cgroupV2();
  t.cgV2("trail");
  t.cgV2("space ");
  auto h = *findMemoryHierarchy(t.roots());
  EXPECT_EQ(CgroupPath::resolve(h, "/trail ").error().errnum, ENOENT);
  EXPECT_EQ(CgroupPath::resolve(h, " /trail").error().errnum, ENOENT);
  auto cg = CgroupPath::resolve(h, "/space ");
  ASSERT_TRUE(cg.ok()) << cg.error().describe();
  EXPECT_EQ(cg->display(), "/space ");
  EXPECT_FALSE(CgroupPath::resolve(h, "/space").ok());
}

TEST(Cgroup, FileBytesV1AndV2) {
  {
    test::FixtureTree t;
    t.cgroupV2();
    t.cgV2("a", 12345);
    auto h = *findMemoryHierarchy(t.roots());
    EXPECT_EQ(*fileBytes(CgroupPath(h, "a")), 12345U);
    EXPECT_EQ(*fileBytes(CgroupPath(h, "")), 50000000U);
    test::FixtureTree::put(t.roots().cgroup + "/a/memory.stat", "anon 3\n");
    EXPECT_FALSE(fileBytes(CgroupPath(h, "a")).ok());
    EXPECT_FALSE(fileBytes(CgroupPath(h, "missing")).ok());
  }
  {
    test::FixtureTree t;
    t.cgroupV1();
    t.cgV1("a", 777);
    auto h = *findMemoryHierarchy(t.roots());
    EXPECT_EQ(*fileBytes(CgroupPath(h, "a")), 777U);
    EXPECT_EQ(*fileBytes(CgroupPath(h, "")), 40000000U);  // root's own cache, not total_cache
  }
}

TEST(Cgroup, IdsAreInodes) {
  test::FixtureTree t;
  t.cgroupV2();
  t.cgV2("a/b");
  auto h = *findMemoryHierarchy(t.roots());
  auto ids = cgroupsById(h);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 3U);  // root, a, a/b
  auto id = cgroupId(CgroupPath(h, "a/b"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, *inodeOf(t.roots().cgroup + "/a/b"));
  EXPECT_EQ(ids->at(*id).display(), "/a/b");
}

TEST(Dying, V2FromCgroupStat) {
  test::FixtureTree t;
  t.cgroupV2(7);
  auto h = *findMemoryHierarchy(t.roots());
  EXPECT_EQ(*dyingMemcgs(t.roots(), h), 7U);
  test::FixtureTree::put(t.roots().cgroup + "/cgroup.stat", "nr_descendants 1\n");
  EXPECT_FALSE(dyingMemcgs(t.roots(), h).ok());
}

// 6.11+: nr_dying_descendants also counts cgroups without a memory css (a
// dying pids-only group); status and metrics count memory's own, as verify.
TEST(Dying, V2PrefersMemorysOwnCount) {
  test::FixtureTree t;
  t.cgroupV2();
  auto h = *findMemoryHierarchy(t.roots());
  test::FixtureTree::put(t.roots().cgroup + "/cgroup.stat",
                         "nr_descendants 3\nnr_dying_descendants 9\nnr_subsys_memory 3\nnr_dying_subsys_memory 4\n");
  EXPECT_EQ(*dyingMemcgs(t.roots(), h), 4U);
}

TEST(Dying, V1FromProcCgroupsMinusDirectories) {
  test::FixtureTree t;
  t.cgroupV1(10);
  t.cgV1("a");
  t.cgV1("a/b");
  auto h = *findMemoryHierarchy(t.roots());
  // 10 cgroups known to the kernel, 3 visible (root, a, a/b).
  EXPECT_EQ(*dyingMemcgs(t.roots(), h), 7U);
  t.setProcCgroups(2);  // racing creation: clamp at 0
  EXPECT_EQ(*dyingMemcgs(t.roots(), h), 0U);
  std::filesystem::remove(t.roots().proc + "/cgroups");
  EXPECT_FALSE(dyingMemcgs(t.roots(), h).ok());
}

TEST(Dying, ProcCgroupsWithoutV1Memory) {
  EXPECT_FALSE(dyingFromProcCgroups("memory 0 1 1\n", 1).ok());
  EXPECT_FALSE(dyingFromProcCgroups("cpu 1 1 1\n", 1).ok());
  EXPECT_EQ(*dyingFromProcCgroups("memory 3 9 1\n", 4), 5U);
}

TEST(Ops, FsCreateAttachRemove) {
  test::FixtureTree t;
  t.cgroupV2();
  auto h = *findMemoryHierarchy(t.roots());
  auto ops = makeCgroupOps(h);  // fixture: not where libcgroup looks
  EXPECT_EQ(ops->name(), "cgroupfs");
  CgroupPath cg(h, "scratch");
  ASSERT_TRUE(ops->create(cg).ok());
  EXPECT_TRUE(isDirectory(cg.absolute()));
  EXPECT_FALSE(ops->create(cg).ok());
  test::FixtureTree::put(cg.file("cgroup.procs"), "");
  ASSERT_TRUE(ops->attach(cg, 1234).ok());
  EXPECT_EQ(test::FixtureTree::get(cg.file("cgroup.procs")), "1234");
  std::filesystem::remove(cg.file("cgroup.procs"));
  ASSERT_TRUE(ops->remove(cg).ok());
  EXPECT_FALSE(exists(cg.absolute()));
}

TEST(Ops, EnableMemoryForChildren) {
  test::FixtureTree t;
  t.cgroupV2();
  auto h = *findMemoryHierarchy(t.roots());
  test::FixtureTree::put(t.roots().cgroup + "/cgroup.subtree_control", "cpu\n");
  ASSERT_TRUE(enableMemoryForChildren(CgroupPath(h, "")).ok());
  EXPECT_EQ(test::FixtureTree::get(t.roots().cgroup + "/cgroup.subtree_control"), "+memory");
}

}  // namespace
}  // namespace rootcache
