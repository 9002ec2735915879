#pragma once
// A small well-formedness check for the XML and HTML the reports write (no parser among the
// dependencies): tags closed in order, attributes quoted, only the five XML entities.
#include <algorithm>
#include <string>
#include <vector>

namespace mlhpc::test {

// Well-formed XML: every tag closed in order, attributes quoted, only the five entities.
inline bool well_formed(const std::string& x, std::string* why) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  while ((i = x.find_first_of("<&", i)) != std::string::npos) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      const std::string ent = x.substr(i, semi - i + 1);
      const bool numeric =
          ent.size() > 3 && ent[1] == '#' &&
          std::all_of(ent.begin() + 2, ent.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
      if (!numeric && ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" &&
          ent != "&apos;") {
        *why = "bad entity " + ent;
        return false;
      }
      i = semi;
      continue;
    }
    const auto end = x.find('>', i);
    std::string tag = x.substr(i + 1, end - i - 1);
    i = end;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;  // <?xml ...>, <!DOCTYPE>
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) {
      *why = "unbalanced quotes in <" + tag + ">";
      return false;
    }
    if (tag.find('<') != std::string::npos) {
      *why = "'<' inside a tag";
      return false;
    }
    const bool closing = tag[0] == '/';
    const bool self = tag.back() == '/';
    std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" /", closing ? 1 : 0) - (closing ? 1 : 0));
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        *why = "unexpected </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if (!self) {
      stack.push_back(name);
    }
  }
  if (!stack.empty()) *why = "unclosed <" + stack.back() + ">";
  return stack.empty();
}

}  // namespace mlhpc::test
