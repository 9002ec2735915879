#pragma once
// What the I/O workload writes: blocks of 4 KiB whose first 32 bytes say what they are (magic,
// file, block index, seed) and carry a checksum of the whole block, so that a read verifies each
// block it gets: a flipped byte, a block of another file or offset, or a stale block from an
// earlier run (another seed) is a failed result, never a warning. The payload is pseudo-random
// from (seed, file, block): incompressible, never all ones.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mlhpc::io {

inline constexpr std::size_t block_bytes = 4096;
inline constexpr std::uint64_t block_magic = 0x6f692d6370686c6dULL;  // "mlhpc-io"

struct block_header {
  std::uint64_t magic;
  std::uint64_t file;
  std::uint64_t index;   // block number within the file
  std::uint32_t seed32;  // the low 32 bits of the seed
  std::uint32_t checksum;
};
static_assert(sizeof(block_header) == 32);

// Fills `out` (a multiple of block_bytes) with the blocks `first`.. of `file`.
void fill_blocks(std::span<unsigned char> out, std::uint64_t seed, std::uint64_t file,
                 std::uint64_t first);

// Checks the blocks in `data` (a multiple of block_bytes) as blocks `first`.. of `file`. Returns
// an empty string when every block is right, else what is wrong with the first bad block.
std::string check_blocks(std::span<const unsigned char> data, std::uint64_t seed,
                         std::uint64_t file, std::uint64_t first);

// The checksum of one block with its checksum field taken as zero (CRC-32C, Castagnoli, as
// ext4 and iSCSI use; SSE4.2's instruction where the CPU has it, a table otherwise).
std::uint32_t block_checksum(std::span<const unsigned char> block);
// CRC-32C of any bytes (for tests: "123456789" gives 0xe3069283).
std::uint32_t crc32c_of(std::span<const unsigned char> bytes);

}  // namespace mlhpc::io
