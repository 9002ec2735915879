#include "bench/context.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/build_config.hpp"

namespace mlhpc {
namespace {

// Points MLHPC_SYSFS_ROOT and MLHPC_PROCFS_ROOT at a fixture tree for one test.
class fixture_root {
 public:
  explicit fixture_root(const std::string& name) {
    const std::string base = std::string(test::build::test_dir) + "/fixtures/" + name;
    setenv("MLHPC_SYSFS_ROOT", (base + "/sys").c_str(), 1);
    setenv("MLHPC_PROCFS_ROOT", (base + "/proc").c_str(), 1);
  }
  ~fixture_root() {
    unsetenv("MLHPC_SYSFS_ROOT");
    unsetenv("MLHPC_PROCFS_ROOT");
  }
};

TEST(Context, ReadsCpuFrequencyAndVirtualisationFromTheSysfsRoot) {
  fixture_root root("vm-a");
  const auto j = system_context();
  EXPECT_EQ(j["cpu"]["model_name"], "Intel(R) Xeon(R) Platinum 8480+");
  EXPECT_EQ(j["cpu"]["vendor"], "GenuineIntel");
  EXPECT_EQ(j["cpu"]["family"], 6);
  EXPECT_EQ(j["cpu"]["model"], 143);
  EXPECT_EQ(j["cpu"]["stepping"], 8);
  EXPECT_EQ(j["cpu"]["isa"]["avx512_bf16"], true);
  EXPECT_EQ(j["cpu"]["isa"]["amx_tile"], true);
  EXPECT_EQ(j["cpu"]["isa"]["avx_vnni"], false);
  EXPECT_EQ(j["frequency"]["governor"], "performance");
  EXPECT_EQ(j["frequency"]["current_hz"], 2400000000LL);
  EXPECT_EQ(j["frequency"]["max_hz"], 3700000000LL);
  EXPECT_EQ(j["frequency"]["driver"], "acpi-cpufreq");
  EXPECT_DOUBLE_EQ(j["frequency"]["cpuinfo_hz"].get<double>(), 2e9);
  EXPECT_EQ(j["virtualization"]["hypervisor_present"], true);
  EXPECT_EQ(j["virtualization"]["hypervisor_type"], "xen");
  EXPECT_EQ(j["virtualization"]["system_vendor"], "Example Cloud");
  EXPECT_EQ(j["memory"]["total_bytes"], 16384000ULL * 1024);
  EXPECT_EQ(j["memory"]["available_bytes"], 8192000ULL * 1024);
  EXPECT_EQ(available_memory_bytes(), 8192000ULL * 1024);
}

TEST(Context, MissingCpufreqIsSaidNotZeroed) {
  fixture_root root("bare");
  const auto j = system_context();
  EXPECT_EQ(j["cpu"]["vendor"], "AuthenticAMD");
  EXPECT_FALSE(j["frequency"].contains("current_hz"));
  EXPECT_FALSE(j["frequency"].contains("governor"));
  ASSERT_TRUE(j["frequency"].contains("unavailable"));
  EXPECT_NE(j["frequency"]["unavailable"].get<std::string>().find("no cpufreq"), std::string::npos);
  EXPECT_EQ(j["virtualization"]["hypervisor_present"], false);
  EXPECT_FALSE(j["memory"].contains("total_bytes"));
  EXPECT_EQ(available_memory_bytes(), 0u);
}

TEST(Context, EnvironmentKeepsOnlyPerformanceVariables) {
  setenv("OMP_NUM_THREADS", "3", 1);
  setenv("DNNL_VERBOSE", "0", 1);
  setenv("MY_SECRET_TOKEN", "x", 1);
  const auto j = environment_context();
  EXPECT_EQ(j["OMP_NUM_THREADS"], "3");
  EXPECT_EQ(j["DNNL_VERBOSE"], "0");
  EXPECT_FALSE(j.contains("MY_SECRET_TOKEN"));
  unsetenv("OMP_NUM_THREADS");
  unsetenv("DNNL_VERBOSE");
  unsetenv("MY_SECRET_TOKEN");
}

TEST(Context, AffinityListsEveryThread) {
  const auto j = affinity_context(2);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["openmp_thread_cpus"].size(), 2u);
  EXPECT_FALSE(j["process_cpus"].get<std::string>().empty());
}

TEST(Context, BuildRecordsCommitCompilerAndFeatures) {
  const auto j = build_context();
  EXPECT_EQ(j["name"], "mlhpc-bench");
  EXPECT_FALSE(j["git_commit"].get<std::string>().empty());
  EXPECT_TRUE(j["features"].contains("dnnl"));
  EXPECT_TRUE(j["compiler"].contains("version"));
}

}  // namespace
}  // namespace mlhpc
