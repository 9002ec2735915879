// The RAPL powercap reader against a fixture tree (MLHPC_SYSFS_ROOT) whose counters advance and
// wrap between readings, with an unreadable zone and a psys zone.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/counters.hpp"
#include "profilers/rapl/powercap.hpp"
#include "tests/support/scoped_env.hpp"

namespace mlhpc::profilers {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::scoped_env;

// A sysfs tree as the kernel lays it out: class/powercap/intel-rapl:N[:M]/{name,energy_uj,
// max_energy_range_uj}. package-0 with core and dram sub-zones, psys, and (if asked) package-1
// whose energy_uj is readable by root only.
class fixture {
 public:
  explicit fixture(bool unreadable_zone = false) {
    char tpl[] = "/tmp/mlhpc-powercap-XXXXXX";
    m_root = mkdtemp(tpl);
    zone("intel-rapl:0", "package-0", 1000, 262143328850);
    zone("intel-rapl:0:0", "core", 500, 262143328850);
    zone("intel-rapl:0:1", "dram", 200, 65712999613);
    zone("intel-rapl:1", "psys", 9000, 262143328850);
    if (unreadable_zone) {
      zone("intel-rapl:2", "package-1", 7, 262143328850);
      chmod((dir("intel-rapl:2") / "energy_uj").c_str(), 0400);
    }
    fs::create_directories(m_root / "class/powercap/intel-rapl");  // the control type
    fs::create_directories(m_root / "class/powercap/intel-rapl-mmio:0");
  }
  ~fixture() { fs::remove_all(m_root); }
  fs::path dir(const std::string& z) const { return m_root / "class/powercap" / z; }
  // Rewrites the counter in place (same inode), as the kernel's value changes under an open fd.
  void set(const std::string& z, unsigned long long uj) const {
    std::ofstream(dir(z) / "energy_uj", std::ios::trunc) << uj << "\n";
  }
  const fs::path& root() const { return m_root; }

 private:
  void zone(const std::string& z, const std::string& name, unsigned long long uj,
            unsigned long long range) {
    fs::create_directories(dir(z));
    std::ofstream(dir(z) / "name") << name << "\n";
    std::ofstream(dir(z) / "max_energy_range_uj") << range << "\n";
    set(z, uj);
  }
  fs::path m_root;
};

TEST(Powercap, ZonesAreNamedAsTheKernelNamesThemUnderTheirParents) {
  fixture f(true);
  scoped_env env("MLHPC_SYSFS_ROOT", f.root().string());
  std::vector<std::string> keys;
  for (const auto& z : find_rapl_zones()) keys.push_back(z.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"energy:package-0", "energy:package-0/core",
                                      "energy:package-0/dram", "energy:psys", "energy:package-1"}));
}

TEST(Powercap, DeltaHandlesWrapAroundWithTheMaxEnergyRange) {
  EXPECT_DOUBLE_EQ(rapl_delta_uj(100, 350, 1000.0), 250);
  EXPECT_DOUBLE_EQ(rapl_delta_uj(900, 150, 1000.0), 250);  // (150 - 900) mod 1000
  EXPECT_THROW(rapl_delta_uj(900, 150, std::nullopt), std::exception);
}

TEST(Powercap, CountersThatAdvanceAndWrapBetweenReadingsGiveJoules) {
  fixture f;
  scoped_env env("MLHPC_SYSFS_ROOT", f.root().string());
  auto c = make_rapl_collector({"energy"});
  std::vector<std::string> names;
  for (const auto& m : c->metrics()) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"energy:package-0", "energy:package-0/core",
                                             "energy:package-0/dram", "energy:psys"}));
  c->start();
  const auto a = c->read();
  f.set("intel-rapl:0", 1000 + 3000000);       // +3 J
  f.set("intel-rapl:0:0", 500 + 2000000);      // +2 J
  f.set("intel-rapl:0:1", 65712999613 - 100);  // wraps next time
  f.set("intel-rapl:1", 9000 + 5000000);       // +5 J
  const auto b = c->read();
  f.set("intel-rapl:0:1", 399900);  // +100 uJ to the top, then 399 900 more: 0.4 J
  const auto d = c->read();
  c->stop();
  const auto ab = c->difference(a, b);
  EXPECT_DOUBLE_EQ(ab[0].value, 3.0);
  EXPECT_DOUBLE_EQ(ab[1].value, 2.0);
  EXPECT_DOUBLE_EQ(ab[3].value, 5.0);
  EXPECT_NEAR(c->difference(b, d)[2].value, 0.4, 1e-12);
}

TEST(Powercap, AnUnreadableZoneIsReportedWithTheFix) {
  fixture f(true);
  // Root reads anything: the check runs in a child that gives up root, as a user would run.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("MLHPC_SYSFS_ROOT", f.root().c_str(), 1);
    if (geteuid() == 0) {
      chmod(f.root().c_str(), 0755);
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);  // no CAP_SETUID here
    } else {
      chmod((f.dir("intel-rapl:2") / "energy_uj").c_str(), 0000);
    }
    auto c = make_rapl_collector({"energy"});
    const auto& u = c->unavailable();
    const auto it = u.find("energy:package-1");
    if (it == u.end()) _exit(11);
    if (it->second.find("root only") == std::string::npos) _exit(12);
    if (it->second.find("CVE-2020-8694") == std::string::npos) _exit(13);
    if (it->second.find("chmod o+r") == std::string::npos) _exit(14);
    if (c->metrics().size() != 4) _exit(15);  // the readable zones stay
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "root without CAP_SETUID cannot drop root here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";
  // The fixture stays removable by its owner (the tree was created by this process).
}

TEST(Powercap, NoPowercapTreeSaysWhy) {
  char tpl[] = "/tmp/mlhpc-nopowercap-XXXXXX";
  const fs::path root = mkdtemp(tpl);
  scoped_env env("MLHPC_SYSFS_ROOT", root.string());
  auto c = make_rapl_collector({"energy"});
  EXPECT_TRUE(c->metrics().empty());
  EXPECT_NE(c->unavailable_reason().find("no RAPL here"), std::string::npos);
  EXPECT_EQ(c->unavailable().count("energy"), 1U);
  fs::remove_all(root);
}

TEST(Powercap, ANamedZoneThatDoesNotExistListsTheZones) {
  fixture f;
  scoped_env env("MLHPC_SYSFS_ROOT", f.root().string());
  auto c = make_rapl_collector({"energy:package-0", "energy:package-7"});
  ASSERT_EQ(c->metrics().size(), 1U);
  EXPECT_NE(c->unavailable().at("energy:package-7").find("energy:psys"), std::string::npos);
}

TEST(Powercap, EnergyFromTheTreeBecomesJoulesPerRepetition) {
  fixture f;
  scoped_env env("MLHPC_SYSFS_ROOT", f.root().string());
  auto c = make_rapl_collector({"energy"});
  counter_setup setup;
  setup.collectors = {c.get()};
  counter_session s(setup);
  s.start();
  s.before_sample();
  f.set("intel-rapl:0", 1000 + 20000000);  // 20 J package
  f.set("intel-rapl:0:1", 200 + 4000000);  // 4 J dram
  f.set("intel-rapl:1", 9000 + 30000000);  // 30 J psys (contains the package)
  s.after_sample(0.2, 10);
  s.stop();
  const json j = s.to_json({}, "inline");
  EXPECT_DOUBLE_EQ(j["values"]["energy:package-0"]["values"][0].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["derived"]["joules"]["value"].get<double>(), 2.4);
  EXPECT_NEAR(j["derived"]["average_watts"]["value"].get<double>(), 120.0, 1e-9);
}

}  // namespace
}  // namespace mlhpc::profilers
