#pragma once
// What the build under test has: tests of oneDNN workloads skip, with the reason, in a build
// configured with -DMLHPC_WITH_DNNL=OFF (a CI configuration), where gemm and conv are listed and
// recorded as skipped instead.
#include <gtest/gtest.h>

#ifndef MLHPC_TEST_HAVE_DNNL
#error "tests/CMakeLists.txt defines MLHPC_TEST_HAVE_DNNL for every test target"
#endif

#define MLHPC_SKIP_WITHOUT_DNNL()                                                  \
  do {                                                                             \
    if (!MLHPC_TEST_HAVE_DNNL)                                                     \
      GTEST_SKIP() << "built without oneDNN (MLHPC_WITH_DNNL=OFF): gemm and conv " \
                      "cannot run; WithoutOneDnn.* checks that they are skipped";  \
  } while (false)
