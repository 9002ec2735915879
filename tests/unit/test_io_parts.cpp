// The I/O workload's parts that need no device: the log-linear latency histogram (exact below
// 128 ns, within 1/128 above, fio's percentile rule), the checksummed blocks (a flipped byte, a
// misplaced block and stale data are each caught and named), and the scratch directory (new and
// unique, never reached through a symlink, files only created new, everything removed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "bench/scratch.hpp"
#include "workloads/io/blocks.hpp"
#include "workloads/io/histogram.hpp"

namespace mlhpc::io {
namespace {

namespace fs = std::filesystem;

TEST(IoHistogram, BucketsAreExactBelow128AndWithin1Over128Above) {
  for (std::uint64_t v = 0; v < 128; ++v)
    EXPECT_EQ(latency_histogram::value_of(latency_histogram::index_of(v)), static_cast<double>(v));
  std::mt19937_64 g(3);
  int last = -1;
  for (std::uint64_t v = 128; v < 5000; ++v) {  // indices never go backwards
    const int i = latency_histogram::index_of(v);
    EXPECT_GE(i, last);
    last = i;
    EXPECT_LE(latency_histogram::lower_edge(i), v);
  }
  for (int k = 0; k < 100000; ++k) {
    const std::uint64_t v = g() >> (g() % 60);
    const double got = latency_histogram::value_of(latency_histogram::index_of(v));
    EXPECT_LE(std::fabs(got - static_cast<double>(v)),
              latency_histogram::relative_error * static_cast<double>(v) + 0.5)
        << v;
  }
  EXPECT_LT(latency_histogram::index_of(UINT64_MAX), latency_histogram::buckets);
}

TEST(IoHistogram, PercentilesFollowFiosRuleAndMergeAddsCounts) {
  latency_histogram a, b;
  for (std::uint64_t v = 1; v <= 100; ++v) a.add(v);  // exact buckets
  EXPECT_EQ(a.count(), 100u);
  EXPECT_DOUBLE_EQ(a.percentile_ns(50), 50);
  EXPECT_DOUBLE_EQ(a.percentile_ns(99), 99);
  EXPECT_DOUBLE_EQ(a.percentile_ns(99.5), 100);  // ceil(99.5) = the 100th value
  EXPECT_DOUBLE_EQ(a.percentile_ns(1), 1);
  EXPECT_DOUBLE_EQ(a.mean_ns(), 50.5);
  for (int i = 0; i < 100; ++i) b.add(1000000);  // 1 ms
  a.merge(b);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_EQ(a.min_ns(), 1u);
  EXPECT_EQ(a.max_ns(), 1000000u);
  EXPECT_DOUBLE_EQ(a.percentile_ns(50), 100);
  EXPECT_NEAR(a.percentile_ns(90), 1e6, 1e6 / 128);
  EXPECT_EQ(fio_percentiles().size(), 17u);
}

TEST(IoBlocks, WrittenBlocksCheckAndEveryKindOfDamageIsNamed) {
  EXPECT_EQ(crc32c_of({reinterpret_cast<const unsigned char*>("123456789"), 9}), 0xe3069283u);
  std::vector<unsigned char> d(8 * block_bytes);
  fill_blocks(d, 42, 7, 100);
  EXPECT_EQ(check_blocks(d, 42, 7, 100), "");
  // Incompressible payload: no two 8-byte words alike in a block, never all ones.
  EXPECT_NE(std::count(d.begin(), d.end(), 0xff), static_cast<long>(d.size()));
  auto bad = d;
  bad[3 * block_bytes + 1000] ^= 0x10;
  EXPECT_NE(check_blocks(bad, 42, 7, 100).find("block 103: checksum"), std::string::npos)
      << check_blocks(bad, 42, 7, 100);
  EXPECT_NE(check_blocks(d, 42, 7, 101).find("holds block 100 of file 7 (misplaced)"),
            std::string::npos);
  EXPECT_NE(check_blocks(d, 42, 8, 100).find("misplaced"), std::string::npos);
  EXPECT_NE(check_blocks(d, 43, 7, 100).find("another seed"), std::string::npos);
  std::vector<unsigned char> zeros(block_bytes, 0);
  EXPECT_NE(check_blocks(zeros, 42, 7, 0).find("not a block this suite wrote"), std::string::npos);
}

class ScratchDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tpl[] = "/tmp/mlhpc-scratch-test-XXXXXX";
    root = mkdtemp(tpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string root;
};

TEST_F(ScratchDir, IsNewAndUniqueAndEverythingInItIsRemoved) {
  std::string path;
  {
    scratch_dir a(root, "mlhpc-io"), b(root, "mlhpc-io");
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(a.path().rfind(root + "/mlhpc-io-", 0), 0u);
    path = a.path();
    const int fd = a.create_file("data.0");
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "x", 1), 1);
    ::close(fd);
    // Never an existing file.
    EXPECT_THROW(a.create_file("data.0"), std::exception);
    EXPECT_THROW(a.create_file("../escape"), std::exception);
    fs::create_directory(path + "/sub");
    std::ofstream(path + "/sub/f") << "y";
    const auto s = a.space();
    EXPECT_GT(s.total, 0u);
    EXPECT_LE(s.available, s.total);
    EXPECT_NO_THROW(a.check_space(1));
    try {
      a.check_space(s.total);
      ADD_FAILURE() << "no refusal";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("under the 10 % this workload keeps free"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(root));
}

TEST_F(ScratchDir, ASymlinkInTheTargetPathOrPlantedInsideIsNeverFollowed) {
  const std::string victim = root + "/victim";
  fs::create_directory(victim);
  std::ofstream(victim + "/keep") << "precious";
  fs::create_directory_symlink(victim, root + "/link");
  try {
    scratch_dir s(root + "/link", "mlhpc-io");
    ADD_FAILURE() << "followed the link to " << s.path();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("is a symbolic link"), std::string::npos) << e.what();
  }
  {
    scratch_dir s(root, "mlhpc-io");
    // A link planted inside, named as the file the workload will create: creation refuses it.
    fs::create_symlink(victim + "/keep", s.path() + "/data.0");
    EXPECT_THROW(s.create_file("data.0"), std::exception);
    EXPECT_THROW(s.open_file("data.0"), std::exception);  // and reading does not follow it
    fs::create_directory_symlink(victim, s.path() + "/dirlink");
  }
  // Removal unlinked the links, not what they point to.
  EXPECT_TRUE(fs::exists(victim + "/keep"));
  std::ifstream in(victim + "/keep");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
  remove_all_scratch();  // nothing left registered: a no-op
  EXPECT_TRUE(fs::exists(victim + "/keep"));
}

TEST_F(ScratchDir, RemoveAllScratchEmptiesWhatIsStillRegistered) {
  scratch_dir s(root, "mlhpc-io");
  const int fd = s.create_file("f");
  ::close(fd);
  remove_all_scratch();
  EXPECT_FALSE(fs::exists(s.path()));
}

}  // namespace
}  // namespace mlhpc::io

#include "workloads/io/engine.hpp"

namespace mlhpc::io {
namespace {

// Files of checksummed blocks written through an engine, then read back through each engine at
// several depths, sequentially and in a shuffled order, buffered and with O_DIRECT: every block
// checks, every operation has a latency, and a corrupted byte on disk is found.
class IoEngines : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kSeed = 9;
  static constexpr std::size_t kBlocks = 64, kChunk = 4 * block_bytes;  // 16 KiB ops
  void SetUp() override {
    char tpl[] = "/tmp/mlhpc-io-engine-test-XXXXXX";
    root = mkdtemp(tpl);
    dir = std::make_unique<scratch_dir>(root, "mlhpc-io");
    std::vector<int> fds;
    for (int f = 0; f < 2; ++f) fds.push_back(dir->create_file(fmt_name(f)));
    auto w = make_sync_engine(fds, kChunk);
    latency_histogram h;
    w->write(ops(false), h, [](const io_op& op, std::span<unsigned char> b) {
      fill_blocks(b, kSeed, op.file, op.offset / block_bytes);
    });
    EXPECT_EQ(h.count(), ops(false).size());
    for (const int fd : fds) {
      ::fsync(fd);
      ::close(fd);
    }
  }
  void TearDown() override {
    dir.reset();
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static std::string fmt_name(int f) { return "data." + std::to_string(f); }
  // Every chunk of both files, in order or shuffled.
  static std::vector<io_op> ops(bool shuffled) {
    std::vector<io_op> out;
    for (std::uint32_t f = 0; f < 2; ++f)
      for (std::uint64_t o = 0; o < kBlocks * block_bytes; o += kChunk)
        out.push_back({f, o, static_cast<std::uint32_t>(kChunk)});
    if (shuffled) std::shuffle(out.begin(), out.end(), std::mt19937_64(5));
    return out;
  }
  std::vector<int> open_all(int flags) {
    std::vector<int> fds;
    for (int f = 0; f < 2; ++f) fds.push_back(dir->open_file(fmt_name(f), flags));
    return fds;
  }
  // Reads everything through `e`; returns the first block error ("" when all check).
  static std::string read_all(engine& e, bool shuffled, latency_histogram& h) {
    std::string error;
    std::size_t bytes = 0;
    e.read(ops(shuffled), h, [&](const io_op& op, std::span<const unsigned char> d) {
      bytes += d.size();
      if (error.empty()) error = check_blocks(d, kSeed, op.file, op.offset / block_bytes);
    });
    EXPECT_EQ(bytes, 2 * kBlocks * block_bytes);
    return error;
  }
  std::string root;
  std::unique_ptr<scratch_dir> dir;
};

TEST_F(IoEngines, EveryEngineReadsBackWhatWasWrittenAtAnyDepth) {
  for (const bool shuffled : {false, true}) {
    latency_histogram h;
    auto fds = open_all(0);
    auto s = make_sync_engine(fds, kChunk);
    EXPECT_EQ(read_all(*s, shuffled, h), "");
    EXPECT_EQ(h.count(), ops(false).size());
    EXPECT_GT(h.percentile_ns(50), 0);
    for (const int fd : fds) ::close(fd);
  }
  if (!uring_built()) GTEST_SKIP() << "built without liburing: the io_uring engine is not tested";
  for (const int depth : {1, 8}) {
    for (const bool fixed : {false, true}) {
      auto fds = open_all(0);
      std::unique_ptr<engine> u;
      try {
        u = make_uring_engine(fds, kChunk, depth, {fixed, fixed, false});
      } catch (const std::exception& e) {
        for (const int fd : fds) ::close(fd);
        GTEST_SKIP() << "io_uring unavailable here: " << e.what();
      }
      EXPECT_EQ(u->depth(), depth);
      latency_histogram h;
      EXPECT_EQ(read_all(*u, true, h), "") << u->describe();
      EXPECT_EQ(h.count(), ops(false).size());
      u.reset();
      for (const int fd : fds) ::close(fd);
    }
  }
}

TEST_F(IoEngines, DirectReadsBypassTheCacheAndStillCheck) {
  std::vector<int> fds;
  try {
    fds = open_all(O_DIRECT);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "O_DIRECT refused on this file system: " << e.what();
  }
  latency_histogram h;
  auto s = make_sync_engine(fds, kChunk);
  EXPECT_EQ(read_all(*s, true, h), "");
  if (uring_built()) {
    for (const bool polled : {false, true}) {
      try {
        auto u = make_uring_engine(fds, kChunk, 4, {true, true, polled});
        latency_histogram hu;
        EXPECT_EQ(read_all(*u, false, hu), "") << u->describe();
      } catch (const std::exception& e) {
        // Polled completions need a driver with poll queues (NVMe with poll_queues set); a
        // virtio disk has none, the kernel says so per operation, and the engine names it.
        if (!polled)
          ADD_FAILURE() << e.what();
        else
          EXPECT_NE(std::string(e.what()).find("polled io_uring completions are not supported"),
                    std::string::npos)
              << e.what();
      }
    }
  }
  for (const int fd : fds) ::close(fd);
}

TEST_F(IoEngines, ACorruptedByteOnDiskIsFound) {
  {
    const int fd = ::openat(dir->fd(), "data.1", O_WRONLY | O_NOFOLLOW);
    ASSERT_GE(fd, 0);
    const unsigned char x = 0x5a;
    ASSERT_EQ(::pwrite(fd, &x, 1, 10 * block_bytes + 77), 1);
    ::close(fd);
  }
  auto fds = open_all(0);
  auto s = make_sync_engine(fds, kChunk);
  latency_histogram h;
  EXPECT_NE(read_all(*s, false, h).find("file 1 block 10: checksum"), std::string::npos);
  for (const int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace mlhpc::io

#include "workloads/io/cache.hpp"

namespace mlhpc::io {
namespace {

// What a buffered write leaves in the page cache, and that eviction empties it (the check every
// cached read pattern makes before it is timed).
TEST_F(ScratchDir, EvictionEmptiesThePageCacheAndMincoreSeesIt) {
  scratch_dir s(root, "mlhpc-io");
  const int fd = s.create_file("cached");
  std::vector<unsigned char> d(256 * block_bytes);
  fill_blocks(d, 1, 0, 0);
  ASSERT_EQ(::pwrite(fd, d.data(), d.size(), 0), static_cast<ssize_t>(d.size()));
  const auto before = resident_pages(fd);
  EXPECT_EQ(before.pages, 256u);
  EXPECT_GT(before.share(), 0.9);  // just written: in the cache
  evict(fd);
  const auto after = resident_pages(fd);
  EXPECT_LT(after.share(), 0.1) << after.resident << " of " << after.pages << " still resident";
  EXPECT_EQ(resident_pages(fd, 16).pages, 16u);  // a sample of every 16th page
  ::close(fd);
}

}  // namespace
}  // namespace mlhpc::io

#include "workloads/io/dataset.hpp"

namespace mlhpc::io {
namespace {

TEST(IoDataset, SamplesArePackedAndFilesPaddedToWholeBlocks) {
  const auto p = plan_dataset(3, 4, 10000, 0, 7);
  ASSERT_EQ(p.samples.size(), 12u);
  ASSERT_EQ(p.file_bytes.size(), 3u);
  for (std::uint32_t f = 0; f < 3; ++f) {
    for (int i = 0; i < 4; ++i) {
      const auto& s = p.samples[f * 4 + i];
      EXPECT_EQ(s.file, f);
      EXPECT_EQ(s.offset, 10000u * i);
      EXPECT_EQ(s.bytes, 10000u);
    }
    EXPECT_EQ(p.file_bytes[f], 40960u);  // 40000 rounded up to 4 KiB
  }
  // O_DIRECT reads the whole blocks around a sample: 10000..20000 lies in blocks 2..4.
  EXPECT_EQ(bytes_read_for(p.samples[1], true), 3 * 4096u);
  EXPECT_EQ(bytes_read_for(p.samples[1], false), 10000u);
  // A spread: drawn from the seed, clamped to [4 KiB, 3 x mean], reproducible.
  const auto a = plan_dataset(2, 500, 100000, 60000, 1), b = plan_dataset(2, 500, 100000, 60000, 1);
  double sum = 0;
  std::uint64_t lo = ~0ull, hi = 0;
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].bytes, b.samples[i].bytes);
    sum += static_cast<double>(a.samples[i].bytes);
    lo = std::min(lo, a.samples[i].bytes);
    hi = std::max(hi, a.samples[i].bytes);
  }
  EXPECT_NEAR(sum / 1000, 100000, 6000);
  EXPECT_GE(lo, 4096u);
  EXPECT_LE(hi, 300000u);
  EXPECT_LT(lo, 50000u);  // the spread is there
}

TEST_F(ScratchDir, RanksOwnDisjointFilesAndACorruptedByteFailsVerification) {
  const auto plan = plan_dataset(5, 3, 6000, 0, 11);
  scratch_dir d0(root, "rank0"), d1(root, "rank1");
  local_files r0(plan, 0, 2, d0, 11), r1(plan, 1, 2, d1, 11);
  EXPECT_EQ(r0.own_files(), (std::vector<std::uint32_t>{0, 2, 4}));
  EXPECT_EQ(r1.own_files(), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(r0.own_samples().size() + r1.own_samples().size(), plan.samples.size());
  for (const auto s : r0.own_samples()) EXPECT_EQ(plan.samples[s].file % 2, 0u);
  r0.write({});
  r1.write({});
  // Written back and evicted by write().
  EXPECT_LT(r0.resident().share(), 0.1);
  EXPECT_TRUE(fs::exists(d0.path() + "/data.4"));
  EXPECT_FALSE(fs::exists(d0.path() + "/data.1"));
  EXPECT_EQ(r0.verify().status, verification::state::passed);
  // Reads of a sample: aligned for O_DIRECT, exact when buffered; local file indices.
  std::vector<io_op> ops;
  r0.ops_for(r0.own_samples().back(), true, 4096, ops);  // file 4, bytes 12000..18000
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].file, 2u);
  EXPECT_EQ(ops[0].offset, 8192u);
  EXPECT_EQ(ops[2].offset + ops[2].bytes, 20480u);
  ops.clear();
  r0.ops_for(r0.own_samples().back(), false, 1 << 20, ops);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].offset, 12000u);
  EXPECT_EQ(ops[0].bytes, 6000u);
  // One flipped byte in file 2 is found and named.
  {
    const int fd = ::open((d0.path() + "/data.2").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const unsigned char x = 0x5a;
    ASSERT_EQ(::pwrite(fd, &x, 1, 5000), 1);
    ::close(fd);
  }
  const auto v = r0.verify();
  EXPECT_EQ(v.status, verification::state::failed);
  EXPECT_EQ(v.error, 1);
  EXPECT_NE(v.detail.find("data.2"), std::string::npos) << v.detail;
  EXPECT_EQ(r1.verify().status, verification::state::passed);
}

}  // namespace
}  // namespace mlhpc::io
