#pragma once
// What the build under test has: tests of oneDNN workloads skip, with the reason, in a build
// configured with -DMLHPC_WITH_DNNL=OFF (a CI configuration), where gemm and conv are listed and
// recorded as skipped instead.
#include <gtest/gtest.h>

#include "tests/support/build_config.hpp"

// Built with AddressSanitizer (GCC defines __SANITIZE_ADDRESS__, clang has the feature).
#if defined(__SANITIZE_ADDRESS__)
#define MLHPC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLHPC_ASAN 1
#endif
#endif
#ifndef MLHPC_ASAN
#define MLHPC_ASAN 0
#endif

#define MLHPC_SKIP_WITHOUT_DNNL()                                                  \
  do {                                                                             \
    if (!::mlhpc::test::build::have_dnnl)                                          \
      GTEST_SKIP() << "built without oneDNN (MLHPC_WITH_DNNL=OFF): gemm and conv " \
                      "cannot run; WithoutOneDnn.* checks that they are skipped";  \
  } while (false)
