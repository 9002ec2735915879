#pragma once
// Every file the suite reads or writes goes through here: one safe writer, one bounded reader.
//
// Writing: a target is refused (usage_error, exit 2) when it exists and is not a regular file (a
// device node, FIFO, directory, socket or symbolic link) or when it is one of the command's input
// files. The text goes to a temporary file created exclusively beside the target
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644 minus the umask, or the permissions of the file it
// replaces; a link planted at its name is never followed), written in full with every error
// checked, fsync'ed, renamed over the target, and the directory fsync'ed. A failed write (full
// disk, quota, file-size limit) leaves the previous file as it was and throws io_failure naming the
// path and the cause.
//
// Temporary files are named `.<target name>.mlhpc-tmp.<host>.<pid>.<random>`. One left by a
// killed process is removed by the next write into the same directory from the same host, when
// that process no longer exists (another host's temporaries on a shared file system are left
// alone: their process ids mean nothing here).
//
// Reading: only regular files, at most a stated size (a FIFO, /dev/zero or a directory is refused
// before anything is read). JSON is parsed with a nesting limit, and any malformed or
// out-of-range content becomes a usage_error naming the file.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/error.hpp"

namespace mlhpc {

// `text` (a host name, a user name: anything taken from the system) as one safe file-name
// component: letters, digits, '-' and '_' are kept, every other byte ('/', '.', control
// characters, non-ASCII) becomes '_', at most 64 bytes; empty becomes "unknown". The result
// never contains a '/' and is never "." or "..", so a default name built from it stays in the
// directory it was meant for.
std::string file_name_part(std::string_view text);

// "regular file", "directory", "character device", "block device", "FIFO", "socket",
// "symbolic link"; for messages.
std::string file_type_name(unsigned mode);

// Pre-flight check of an output path, before any work: not empty; when it exists, a regular file
// (not a link, device, FIFO, directory or socket) that is none of `inputs`; its directory exists
// and is writable, or can be created under the nearest existing ancestor. Creates nothing.
// `option` names the option in messages ("--out"). "-" (stdout) passes.
void check_output_path(const std::string& path, std::string_view option,
                       const std::vector<std::string>& inputs = {});

// Creates the directory `dir` and its missing parents, each with mkdirat on a directory opened
// with O_NOFOLLOW: when anything has to be created, no component of `dir` may be a symbolic link
// (a link planted at "results" must not make the suite create directories in its target). An
// existing directory is used as it is. `option` names the option in messages. Throws
// usage_error naming the link, or the component that cannot be created and why.
void make_directories(const std::string& dir, std::string_view option);

// The one walk of a path that never follows a link: `dir` opened component by component from
// "/" or "." with O_NOFOLLOW (openat), making missing components with mkdirat when `how` is
// create_missing. A symbolic link anywhere on the way is refused, as is a component that is not
// a directory or cannot be made: usage_error naming `option`, the path and the component.
// Returns the directory's descriptor (O_DIRECTORY), which the caller closes. make_directories
// and the scratch directory (bench/scratch.cpp) both walk with it.
enum class path_walk { open_existing, create_missing };
int open_directory_nofollow(const std::string& dir, std::string_view option, path_walk how);

// Writes `text` to `path` as described above, creating missing parent directories
// (make_directories). Throws
// usage_error for a refused target, io_failure when the system refuses the write.
void write_file_atomically(const std::string& path, std::string_view text);

// The name of the temporary file for `path` with random part `nonce` (see above).
std::string temporary_path(const std::string& path, std::uint32_t nonce);
// Tests only: make the writer's random parts nonce, nonce + 1, ... (nullopt: random again), so
// that a test can plant a link where the first temporary will be created.
void fix_temporary_nonce_for_tests(std::optional<std::uint32_t> nonce);

// The JSON text of a document: invalid UTF-8 inside strings (which never comes from our own
// sanitised inputs) is replaced rather than fatal.
std::string json_text(const nlohmann::json& doc, int indent = 2);
// Writes `doc` (json_text plus a newline) with write_file_atomically.
void write_json_file(const std::string& path, const nlohmann::json& doc);

// Limits of what is read.
struct input_limits {
  std::uint64_t max_bytes = 256ull << 20;  // 256 MiB: 10^7 samples fit
  int max_depth = 64;                      // result files nest 6 levels; 64 leaves room
};

// Reads a whole regular file of at most `max_bytes`; `what` names it in messages ("result file",
// "suite"). Throws usage_error naming the path, its type or size, and the limit.
std::string read_input_file(const std::string& path, std::uint64_t max_bytes,
                            std::string_view what);

// Parses `text` as one JSON document with at most `max_depth` levels of nesting. Malformed text,
// a number beyond the double range, deeper nesting: usage_error naming `origin` (no prefix
// when empty).
nlohmann::json parse_json_bounded(std::string_view text, const std::string& origin,
                                  int max_depth = input_limits{}.max_depth);

// read_input_file + parse_json_bounded.
nlohmann::json read_json_file(const std::string& path, std::string_view what,
                              const input_limits& limits = {});

}  // namespace mlhpc
