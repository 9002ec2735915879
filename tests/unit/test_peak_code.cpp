// The check that would have caught GCC merging peak's twelve identical FMA chains into one: the
// inner loop of every peak kernel, read from this binary's own disassembly, holds exactly
// `accumulators` instructions of the kernel, each into a different register, and nothing else
// but the loop counter. Needs nm and objdump (binutils, part of every toolchain); skipped with the
// reason where they are missing.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "workloads/peak/peak.hpp"

namespace mlhpc::peak {
namespace {

std::string capture(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return "";
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
  return out;
}

bool have(const char* tool) {
  return capture(std::string("command -v ") + tool + " 2>/dev/null").find(tool) !=
         std::string::npos;
}

struct instruction {
  unsigned long address = 0;
  std::string mnemonic, operands;
};

// The disassembly of the function at `fn` in this executable.
std::vector<instruction> disassemble(const void* fn, std::string* why) {
  Dl_info info{};
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) {
    *why = "dladdr found no object for the kernel";
    return {};
  }
  // Position-independent executables: nm's addresses are offsets from the load base.
  const auto offset =
      reinterpret_cast<std::uintptr_t>(fn) - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  // The path of this executable (a /proc/self/exe given to nm would name nm itself).
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::istringstream nm(capture("nm -S --defined-only " + exe + " 2>/dev/null"));
  std::string line;
  unsigned long size = 0;
  while (std::getline(nm, line)) {
    std::istringstream ls(line);
    std::string addr, sz, type, name;
    if (!(ls >> addr >> sz >> type >> name)) continue;
    if (std::stoul(addr, nullptr, 16) == offset) size = std::stoul(sz, nullptr, 16);
  }
  if (size == 0) {
    *why = "nm lists no symbol at the kernel's address (a stripped binary?)";
    return {};
  }
  char range[128];
  std::snprintf(range, sizeof range, "--start-address=0x%lx --stop-address=0x%lx",
                static_cast<unsigned long>(offset), static_cast<unsigned long>(offset + size));
  std::istringstream od(
      capture("objdump -d --no-show-raw-insn " + std::string(range) + " " + exe + " 2>/dev/null"));
  static const std::regex insn(R"(^\s*([0-9a-f]+):\s+(\{vex\}\s+)?(\S+)\s*(.*)$)");
  std::vector<instruction> out;
  while (std::getline(od, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, insn)) continue;
    out.push_back({std::stoul(m[1], nullptr, 16), m[3], m[4]});
  }
  if (out.empty()) *why = "objdump printed no instructions";
  return out;
}

TEST(PeakCode, EveryInnerLoopRunsIndependentChains) {
  if (kernels().empty()) GTEST_SKIP() << "no peak kernels for this architecture";
  if (!have("nm") || !have("objdump")) GTEST_SKIP() << "nm or objdump (binutils) not found";
  for (const auto& k : kernels()) {
    SCOPED_TRACE(std::string(to_string(k.type)) + " " + k.isa);
    std::string why;
    const auto code = disassemble(reinterpret_cast<const void*>(k.run), &why);
    ASSERT_FALSE(code.empty()) << why;
    // The inner loop: the backward conditional jump and the instructions from its target on.
    const std::string mnemonic = k.instruction.substr(0, k.instruction.find(' '));
    bool found = false;
    for (std::size_t j = 0; j < code.size() && !found; ++j) {
      const auto& jmp = code[j];
      if (jmp.mnemonic != "jne" && jmp.mnemonic != "jnz") continue;
      const unsigned long target = std::stoul(jmp.operands, nullptr, 16);
      if (target >= jmp.address) continue;
      std::vector<const instruction*> body;
      for (const auto& i : code)
        if (i.address >= target && i.address < jmp.address) body.push_back(&i);
      int count = 0;
      std::set<std::string> destinations;
      for (const auto* i : body)
        if (i->mnemonic == mnemonic) {
          ++count;
          destinations.insert(i->operands.substr(i->operands.rfind(',') + 1));
        }
      if (count == 0) continue;  // another loop (the horizontal sums)
      found = true;
      EXPECT_EQ(count, k.accumulators) << "the loop issues " << count << " " << mnemonic;
      EXPECT_EQ(static_cast<int>(destinations.size()), k.accumulators)
          << "the chains share registers: they are not independent";
      // Nothing else in the loop than the chains and the counter (dec + jnz).
      EXPECT_EQ(body.size(), static_cast<std::size_t>(k.accumulators) + 1);
    }
    EXPECT_TRUE(found) << "no loop of " << mnemonic << " found in the kernel";
  }
}

}  // namespace
}  // namespace mlhpc::peak
