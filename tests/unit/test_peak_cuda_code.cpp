// The check that a compiler did not merge peak@cuda's FMA chains, as test_peak_code.cpp does
// with objdump for x86, on what the toolkit produced, without a GPU:
//  - the PTX (nvcc -ptx, sm_90): following each fma's multiplicand back to the fma that wrote
//    it splits the kernel's fma instructions into independent chains; there must be as many as
//    the kernel has (one, if they had been merged);
//  - the SASS (cuobjdump --dump-sass of the object, sm_80 and sm_90): FFMA (f32) and DFMA (f64)
//    into at least as many different registers as there are chains. Skipped with the reason
//    where the toolkit has no cuobjdump (the build machine's toolkit has nvcc and ptxas only).
// Both skip where the build has no CUDA toolkit.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/build_config.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

constexpr int chains = 8;  // fma_chain_count in workloads/peak/peak-cuda.cu

// Per "arch/function" (e.g. "sm_90/_ZN5mlhpc4peak4cuda10fma_chainsIfLi8EEEvPT_xS3_S3_"), the
// destination registers of each FMA mnemonic.
std::map<std::string, std::map<std::string, std::multiset<std::string>>> fma_destinations(
    const std::string& sass) {
  std::map<std::string, std::map<std::string, std::multiset<std::string>>> out;
  std::istringstream in(sass);
  std::string line, arch, function;
  const std::regex arch_re(R"(code for (sm_\d+))");
  const std::regex function_re(R"(Function : (\S+))");
  const std::regex fma_re(R"(/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?(FFMA|DFMA)\S*\s+(R\d+),)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, arch_re)) arch = m[1];
    if (std::regex_search(line, m, function_re)) function = m[1];
    if (std::regex_search(line, m, fma_re)) out[arch + "/" + function][m[1]].insert(m[2]);
  }
  return out;
}

// Per kernel (.entry name), the number of independent chains among its fma.rn instructions of
// one type: an fma joins the chain of the fma that wrote its multiplicand register.
std::map<std::string, int> ptx_chains(const std::string& ptx, const std::string& suffix) {
  std::map<std::string, int> out;
  std::istringstream in(ptx);
  std::string line, entry;
  const std::regex entry_re(R"(\.entry\s+(\w+))");
  const std::regex fma_re("fma\\.rn\\." + suffix + R"(\s+(%\w+),\s*(%\w+),)");
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> fmas;  // dest, src
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, entry_re)) entry = m[1];
    if (std::regex_search(line, m, fma_re)) fmas[entry].emplace_back(m[1], m[2]);
  }
  for (const auto& [name, list] : fmas) {
    // Union-find over registers: an fma links its destination with its multiplicand.
    std::map<std::string, std::string> parent;
    std::function<std::string(const std::string&)> find = [&](const std::string& r) {
      auto it = parent.find(r);
      if (it == parent.end()) return parent[r] = r;
      if (it->second == r) return r;
      return it->second = find(it->second);
    };
    for (const auto& [d, src] : list) parent[find(d)] = find(src);
    std::set<std::string> roots;
    for (const auto& [d, src] : list) roots.insert(find(d));
    out[name] = static_cast<int>(roots.size());
  }
  return out;
}

TEST(PeakCudaCode, ThePtxHoldsEveryChainApart) {
  if (*test::build::peak_cuda_ptx == '\0')
    GTEST_SKIP() << "built without the CUDA toolkit (MLHPC_WITH_CUDA): no peak@cuda kernels";
  const std::string ptx = test::slurp(test::build::peak_cuda_ptx);
  ASSERT_FALSE(ptx.empty()) << test::build::peak_cuda_ptx;
  for (const auto& [suffix, type] : {std::pair{"f32", "IfLi8"}, std::pair{"f64", "IdLi8"}}) {
    const auto chains_found = ptx_chains(ptx, suffix);
    const std::string kernel = std::string("fma_chains") + type;  // clang 14: no binding capture
    const auto it = std::find_if(chains_found.begin(), chains_found.end(), [&](const auto& k) {
      return k.first.find(kernel) != std::string::npos;
    });
    ASSERT_NE(it, chains_found.end()) << suffix << " kernel has no fma.rn." << suffix;
    EXPECT_EQ(it->second, chains) << it->first;
  }
  // The rule itself: one accumulator written twice is one chain; two accumulators are two.
  EXPECT_EQ(ptx_chains(".entry k(\nfma.rn.f32 %f2, %f1, %f9, %f9;\nfma.rn.f32 %f1, %f2, %f9, "
                       "%f9;\nfma.rn.f32 %f4, %f3, %f9, %f9;\n",
                       "f32")
                .at("k"),
            2);
}

TEST(PeakCudaCode, EveryChainIsItsOwnRegisterInTheSass) {
  if (*test::build::peak_cuda_object == '\0')
    GTEST_SKIP() << "built without the CUDA toolkit (MLHPC_WITH_CUDA): no peak@cuda kernels";
  if (*test::build::cuobjdump == '\0')
    GTEST_SKIP() << "the CUDA toolkit found at configure time has no cuobjdump (nvcc and ptxas "
                    "only): the PTX test checks the chains here";
  const auto dump =
      test::run_process({test::build::cuobjdump, "--dump-sass", test::build::peak_cuda_object});
  ASSERT_EQ(dump.status, 0) << dump.err;
  const std::string sass = dump.out;
  const auto found = fma_destinations(sass);
  for (const char* arch : {"sm_80", "sm_90"}) {
    for (const auto& [type, mnemonic] : {std::pair{"IfLi8", "FFMA"}, std::pair{"IdLi8", "DFMA"}}) {
      const std::string kernel = std::string("fma_chains") + type;  // clang 14: no binding capture
      const auto it = std::find_if(found.begin(), found.end(), [&](const auto& f) {
        return f.first.rfind(std::string(arch) + "/", 0) == 0 &&
               f.first.find(kernel) != std::string::npos;
      });
      ASSERT_NE(it, found.end()) << arch << " " << mnemonic << " kernel not in the SASS:\n"
                                 << sass.substr(0, 2000);
      ASSERT_TRUE(it->second.count(mnemonic)) << it->first << " has no " << mnemonic;
      const auto& regs = it->second.at(mnemonic);
      const std::set<std::string> distinct(regs.begin(), regs.end());
      EXPECT_GE(static_cast<int>(distinct.size()), chains)
          << it->first << ": " << mnemonic << " into " << distinct.size()
          << " registers only (chains merged)";
      EXPECT_GE(static_cast<int>(regs.size()), chains) << it->first;
    }
  }
}

// The SASS reader on cuobjdump's layout (its lines as printed for sm_90), so that the check above
// is known to read what it will meet where cuobjdump exists.
TEST(PeakCudaCode, TheSassReaderFindsEachKernelsFmaDestinations) {
  const std::string sass =
      "\tcode for sm_90\n"
      "\t\tFunction : _ZN5mlhpc4peak4cuda10fma_chainsIfLi8EEEvPT_xS3_S3_\n"
      "        /*0100*/                   FFMA R4, R4, R7, R8 ;         /* 0x0000000704047223 */\n"
      "        /*0110*/              @!P0 FFMA R5, R5, R7, R8 ;         /* 0x0000000705058223 */\n"
      "        /*0120*/                   FADD R6, R4, R5 ;             /* 0x0000000504067221 */\n"
      "\t\tFunction : _ZN5mlhpc4peak4cuda10fma_chainsIdLi8EEEvPT_xS3_S3_\n"
      "        /*0100*/                   DFMA R4, R4, R6, R8 ;         /* 0x0000000604047229 */\n";
  const auto found = fma_destinations(sass);
  ASSERT_EQ(found.size(), 2u);
  const auto& f32 = found.at("sm_90/_ZN5mlhpc4peak4cuda10fma_chainsIfLi8EEEvPT_xS3_S3_");
  EXPECT_EQ(f32.at("FFMA"), (std::multiset<std::string>{"R4", "R5"}));
  EXPECT_FALSE(f32.count("FADD"));
  EXPECT_EQ(found.at("sm_90/_ZN5mlhpc4peak4cuda10fma_chainsIdLi8EEEvPT_xS3_S3_").at("DFMA").size(),
            1u);
}

}  // namespace
}  // namespace mlhpc
