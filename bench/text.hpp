#pragma once
// Text that crosses a boundary: from outside into a result file (valid UTF-8), and from a result
// file onto a terminal or into Markdown (no control characters, nothing that opens markup).
#include <string>
#include <string_view>
#include <vector>

namespace mlhpc {

// Text from outside (environment, paths, host names, command lines) as valid UTF-8: every byte
// that is not part of a well-formed UTF-8 sequence (overlong forms, surrogates and code points
// above U+10FFFF included) becomes the four characters "\xNN", so nothing is lost and nothing is
// fatal. Valid UTF-8 comes back unchanged.
std::string utf8_text(std::string_view bytes);

// Text for a terminal: control characters (C0 including ESC, CR, BEL, LF and TAB; DEL; C1 as
// UTF-8) become "\xNN" (C1: "\u0085"), so that a string from a file can neither move the cursor,
// nor recolour, nor retitle the terminal, nor break a table's row. Invalid UTF-8 as utf8_text.
std::string terminal_text(std::string_view s);
// The same for several lines: line feeds kept, every other control character escaped.
std::string terminal_lines(std::string_view s);

// Markdown text inside a table cell or a paragraph: the characters that open markup (backslash,
// backtick, *, _, [, ], <, >, |, #, !, ~) escaped with a backslash, line breaks and other
// control characters as in terminal_text, so that no string opens raw HTML, a heading, a link
// or breaks a table.
std::string markdown_text(std::string_view s);

// A Markdown code span holding `s` literally: fenced by one more backtick than the longest run
// inside, with a space inside each fence where `s` starts or ends with a backtick; control
// characters as in terminal_text.
std::string markdown_code(std::string_view s);

// A fenced Markdown code block: a fence of three backticks, or more than the longest run of
// backticks in `s`, so the block cannot be closed from inside. Control characters other than
// line feeds as in terminal_text; CR removed from CRLF line ends.
std::string markdown_code_block(std::string_view s);

// `s` quoted for a POSIX shell where it needs quoting ('a b' -> "'a b'"), as it is otherwise.
std::string shell_quote(const std::string& s);

}  // namespace mlhpc

namespace mlhpc {

// The candidate closest to `name` by edit distance (Levenshtein, case-insensitive), when it is
// close enough to be a typo (at most a third of the longer name, and 3 edits) or `name` is
// a prefix of it; "" otherwise. For "did you mean 'allreduce'?".
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace mlhpc

namespace mlhpc {

// "abcdef...xyz": text longer than `width` with its middle cut, so that its start and its end
// stay readable (a problem label's workload and its last parameter); unchanged when it fits.
std::string cut_middle(const std::string& text, std::size_t width);

// Each line longer than `width` broken at spaces, the continuation indented two columns past the
// line's own indentation; a word longer than the width stays whole.
std::string wrap_lines(const std::string& text, std::size_t width);

}  // namespace mlhpc
