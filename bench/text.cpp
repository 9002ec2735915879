#include "bench/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace mlhpc {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode 15, table 3-7), 0 if none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

std::string hex_byte(unsigned char c) {
  return fmt::format("\\x{:02X}", c);
}

// Valid UTF-8 with control characters escaped; `keep_newlines` keeps LF.
std::string escape_controls(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0) {
      out += hex_byte(c);
      ++i;
    } else if (n == 1) {
      if (c == '\n' && keep_newlines)
        out += '\n';
      else if (c < 0x20 || c == 0x7F)
        out += hex_byte(c);
      else
        out += static_cast<char>(c);
      ++i;
    } else {
      // C1 controls U+0080..U+009F are C2 80..C2 9F: a terminal may act on them (CSI is 9B).
      if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F)
        out += fmt::format("\\u{:04X}", static_cast<unsigned char>(s[i + 1]));
      else
        out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::size_t longest_backtick_run(std::string_view s) {
  std::size_t best = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

}  // namespace

std::string utf8_text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      out += hex_byte(static_cast<unsigned char>(bytes[i]));
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string terminal_text(std::string_view s) {
  return escape_controls(s, false);
}

std::string terminal_lines(std::string_view s) {
  return escape_controls(s, true);
}

std::string markdown_text(std::string_view s) {
  std::string out;
  for (char c : escape_controls(s, false)) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '#':
      case '!':
      case '~':
      case '&':
        out += '\\';
        break;
      default:
        break;
    }
    out += c;
  }
  return out;
}

std::string markdown_code(std::string_view s) {
  const std::string body = escape_controls(s, false);
  const std::string fence(longest_backtick_run(body) + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`' ||
                                     (body.front() == ' ' && body.back() == ' '));
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string markdown_code_block(std::string_view s) {
  std::string body;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) body += s[i];
  body = escape_controls(body, true);
  if (!body.empty() && body.back() != '\n') body += '\n';
  const std::string fence(std::max<std::size_t>(3, longest_backtick_run(body) + 1), '`');
  return fence + "\n" + body + fence + "\n";
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-.,:=/+@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace mlhpc

namespace mlhpc {

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string a = lower(name);
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& cand : candidates) {
    const std::string b = lower(cand);
    // Optimal string alignment: Levenshtein plus the swap of two neighbours ("f23" -> "f32").
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min(
            {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    std::size_t dist = d[a.size()][b.size()];
    const std::size_t limit =
        std::max<std::size_t>(1, std::min<std::size_t>(3, std::max(a.size(), b.size()) / 3));
    const bool prefix = a.size() >= 2 && b.rfind(a, 0) == 0;
    // Not a typo when every letter differs ("q" is not "m").
    if ((dist > limit || dist >= std::max(a.size(), b.size())) && !prefix) continue;
    if (prefix) dist = std::min(dist, limit);
    if (dist < best_d) {
      best_d = dist;
      best = cand;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string n = nearest_name(name, candidates);
  return n.empty() ? std::string() : " (did you mean '" + n + "'?)";
}

}  // namespace mlhpc

namespace mlhpc {

std::string cut_middle(const std::string& text, std::size_t width) {
  if (text.size() <= width || width < 12) return text;
  const std::size_t keep = width - 3;
  const std::size_t head = (keep + 1) / 2;
  return text.substr(0, head) + "..." + text.substr(text.size() - (keep - head));
}

std::string wrap_lines(const std::string& text, std::size_t width) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    const bool newline = end != std::string::npos;
    if (!newline) end = text.size();
    std::string line = text.substr(start, end - start);
    const std::size_t indent =
        line.find_first_not_of(' ') == std::string::npos ? 0 : line.find_first_not_of(' ');
    const std::string more(std::min<std::size_t>(indent + 2, width / 2), ' ');
    bool first = true;
    while (line.size() > width) {
      const std::size_t floor = first ? indent : more.size();
      auto cut = line.rfind(' ', width);
      if (cut == std::string::npos || cut <= floor) {
        cut = line.find(' ', width);
        if (cut == std::string::npos) break;
      }
      out += line.substr(0, cut) + '\n';
      line = more + line.substr(cut + 1);
      first = false;
    }
    out += line;
    if (newline) out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace mlhpc
