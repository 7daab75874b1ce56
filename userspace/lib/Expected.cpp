// SPDX-License-Identifier: GPL-2.0
#include "rootcache/Expected.h"

#include <cstring>

namespace rootcache {

std::string Error::describe() const {
  if (errnum == 0) {
    return message;
  }
  return message + ": " + std::strerror(errnum);  // NOLINT(concurrency-mt-unsafe)
}

Error systemError(int errnum, const std::string& what) {
  Error e{errnum, what, Exit::kCheckFailed};
  // Permission problems are environment problems: the tool needs root.
  if (errnum == EACCES || errnum == EPERM) {
    e.exit = Exit::kEnvironment;
  }
  return e;
}

Error checkError(const std::string& what) {
  return Error{0, what, Exit::kCheckFailed};
}

Error environmentError(const std::string& what, int errnum) {
  return Error{errnum, what, Exit::kEnvironment};
}

Error usageError(const std::string& what) {
  return Error{0, what, Exit::kUsage};
}

}  // namespace rootcache
