// SPDX-License-Identifier: GPL-2.0
// CgroupOps through libcgroup, used on a live system when libcgroup manages
// the same memory hierarchy the tool found. libcgroup finds hierarchies
// through /proc/mounts only, so it cannot serve fixture trees given with
// --cgroup-root: those (and any hierarchy libcgroup does not see at the
// same place) use cgroupfs directly. Its mount table also helps discovery
// (findMemoryHierarchy()).
#include <libcgroup.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "rootcache/Cgroup.h"

namespace rootcache {

namespace {

// A libcgroup description of one cgroup, freed with cgroup_free().
using CgroupHandle = std::shared_ptr<struct cgroup>;

Error libcgroupError(int code, const std::string& what) {
  int err = code == ECGOTHER ? cgroup_get_last_errno() : 0;
  Error e = systemError(err, what + ": " + cgroup_strerror(code));
  return e;
}

class LibcgroupOps final : public CgroupOps {
 public:
  [[nodiscard]] std::string_view name() const override { return "libcgroup"; }

  [[nodiscard]] Status create(const CgroupPath& cg) override {
    auto handle = open(cg);
    if (!handle) {
      return handle.error();
    }
    int rc = cgroup_create_cgroup(handle.value().get(), 0);
    if (rc != 0) {
      return libcgroupError(rc, "libcgroup cannot create " + cg.absolute());
    }
    return {};
  }

  [[nodiscard]] Status attach(const CgroupPath& cg, int pid) override {
    auto handle = open(cg);
    if (!handle) {
      return handle.error();
    }
    int rc = cgroup_attach_task_pid(handle.value().get(), pid);
    if (rc != 0) {
      return libcgroupError(rc, "libcgroup cannot attach pid to " + cg.absolute());
    }
    return {};
  }

  [[nodiscard]] Status remove(const CgroupPath& cg) override {
    auto handle = open(cg);
    if (!handle) {
      return handle.error();
    }
    // ignore_migration=1: the group is empty by now; do not move tasks.
    int rc = cgroup_delete_cgroup(handle.value().get(), 1);
    if (rc != 0) {
      return libcgroupError(rc, "libcgroup cannot remove " + cg.absolute());
    }
    return {};
  }

 private:
  static Result<CgroupHandle> open(const CgroupPath& cg) {
    std::string name = cg.display();
    CgroupHandle handle(cgroup_new_cgroup(name.c_str()), [](struct cgroup* c) {
      if (c != nullptr) {
        cgroup_free(&c);
      }
    });
    if (!handle) {
      return systemError(ENOMEM, "libcgroup: cannot describe " + name);
    }
    if (cgroup_add_controller(handle.get(), "memory") == nullptr) {
      return systemError(EINVAL, "libcgroup: cannot add memory controller to " + name);
    }
    return handle;
  }
};

// Falls back to cgroupfs when a libcgroup call fails: libcgroup 2.0 handles
// cgroup v2 only in part (e.g. hosts where the unified hierarchy is not
// where /proc/mounts says), and the tool must still work there.
class FallbackOps final : public CgroupOps {
 public:
  FallbackOps() : primary_(std::make_unique<LibcgroupOps>()), fallback_(makeFsOps()) {}
  [[nodiscard]] std::string_view name() const override { return "libcgroup"; }
  [[nodiscard]] Status create(const CgroupPath& cg) override {
    Status s = primary_->create(cg);
    return s ? s : fallback_->create(cg);
  }
  [[nodiscard]] Status attach(const CgroupPath& cg, int pid) override {
    Status s = primary_->attach(cg, pid);
    return s ? s : fallback_->attach(cg, pid);
  }
  [[nodiscard]] Status remove(const CgroupPath& cg) override {
    Status s = primary_->remove(cg);
    if (s || !exists(cg.absolute())) {
      return {};
    }
    return fallback_->remove(cg);
  }

 private:
  std::unique_ptr<CgroupOps> primary_;
  std::unique_ptr<CgroupOps> fallback_;
};

}  // namespace

std::optional<std::string> libcgroupMountPoint(const char* controller) {
  // libcgroup keeps global state; initialise once.
  static const int kInit = cgroup_init();
  if (kInit != 0) {
    return std::nullopt;
  }
  char* mount = nullptr;
  if (cgroup_get_subsys_mount_point(controller, &mount) != 0 || mount == nullptr) {
    return std::nullopt;
  }
  std::string mp(mount);
  std::free(mount);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  return mp;
}

std::unique_ptr<CgroupOps> makeCgroupOps(const MemoryHierarchy& h) {
  // Discovery prefers the mount libcgroup uses when the memory hierarchy
  // is mounted in several places; elsewhere (fixture trees) cgroupfs.
  auto mp = libcgroupMountPoint("memory");
  if (!mp || *mp != h.root) {
    return makeFsOps();
  }
  return std::make_unique<FallbackOps>();
}

}  // namespace rootcache
