#include "workloads/resnet50/network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "bench/error.hpp"

namespace mlhpc::resnet50 {

namespace {

std::int64_t out_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p) {
  return (in + 2 * p - k) / s + 1;
}

conv::desc make_conv(const config& c, std::int64_t ic, std::int64_t ih, std::int64_t oc,
                     std::int64_t k, std::int64_t s, std::int64_t p, std::string name) {
  conv::desc d;
  d.mb = c.batch;
  d.ic = ic, d.ih = ih, d.iw = ih;
  d.oc = oc;
  d.kh = k, d.kw = k, d.sh = s, d.sw = s, d.ph = p, d.pw = p;
  d.oh = out_size(ih, k, s, p), d.ow = d.oh;
  d.name = std::move(name);
  return d;
}

}  // namespace

network build(const config& c) {
  if (c.batch < 1)
    throw usage_error(fmt::format("batch={}: expected a batch of at least 1 image", c.batch));
  if (c.image < total_stride)
    throw usage_error(fmt::format(
        "image={}: expected at least {} pixels, the network's total stride (conv1, the max "
        "pool and stages 3-5 each halve the image)",
        c.image, total_stride));
  if (c.width < 1) throw usage_error(fmt::format("width={}: expected at least 1", c.width));
  if (c.classes < 2) throw usage_error(fmt::format("classes={}: expected at least 2", c.classes));
  network n;
  n.cfg = c;
  n.convs.push_back({"conv1", 1, 'a', "", make_conv(c, 3, c.image, c.width, 7, 2, 3, "conv1")});
  n.stem_h = n.convs[0].d.oh;
  n.pool_h = out_size(n.stem_h, 3, 2, 1);
  std::int64_t in_c = c.width, h = n.pool_h;
  for (int s = 0; s < 4; ++s) {
    const std::int64_t mid = c.width << s, out = mid * 4;
    for (int b = 0; b < blocks_per_stage[s]; ++b) {
      bottleneck blk;
      blk.stage = s + 2;
      blk.block = static_cast<char>('a' + b);
      blk.in_c = in_c, blk.mid_c = mid, blk.out_c = out;
      blk.stride = (b == 0 && s > 0) ? 2 : 1;
      blk.in_h = h;
      auto add = [&](const std::string& branch, std::int64_t ic, std::int64_t ih, std::int64_t oc,
                     std::int64_t k, std::int64_t st) {
        const std::string name = fmt::format("res{}{}_branch{}", blk.stage, blk.block, branch);
        n.convs.push_back(
            {name, blk.stage, blk.block, branch, make_conv(c, ic, ih, oc, k, st, k / 2, name)});
        return static_cast<int>(n.convs.size() - 1);
      };
      blk.c2a = add("2a", in_c, h, mid, 1, 1);
      blk.c2b = add("2b", mid, h, mid, 3, blk.stride);
      blk.out_h = n.convs[static_cast<std::size_t>(blk.c2b)].d.oh;
      blk.c2c = add("2c", mid, blk.out_h, out, 1, 1);
      if (b == 0) blk.c1 = add("1", in_c, h, out, 1, blk.stride);
      n.blocks.push_back(blk);
      in_c = out;
      h = blk.out_h;
    }
  }
  n.final_h = h;
  n.final_c = in_c;
  return n;
}

double forward_macs_per_image(const network& n) {
  double flops = 0;
  for (const auto& l : n.convs)
    flops += *conv::work_of(l.d, conv::pass::fwd_training, dtype::f32).flops;
  return flops / 2 / static_cast<double>(n.cfg.batch) +
         static_cast<double>(n.final_c * n.cfg.classes);
}

double training_flops_per_image(const network& n) {
  double flops = 0;
  for (const auto& l : n.convs) {
    const double f = *conv::work_of(l.d, conv::pass::fwd_training, dtype::f32).flops;
    flops += l.name == "conv1" ? 2 * f : 3 * f;  // conv1 needs no gradient of the image
  }
  return flops / static_cast<double>(n.cfg.batch) +
         3 * 2 * static_cast<double>(n.final_c * n.cfg.classes);
}

std::int64_t parameter_count(const network& n) {
  std::int64_t p = 0;
  for (const auto& l : n.convs) p += conv::wei_elems(l.d) + 2 * l.d.oc;
  return p + n.final_c * n.cfg.classes + n.cfg.classes;
}

std::vector<distinct_conv> distinct_convs(const network& n) {
  struct group {
    conv::desc d;
    std::vector<const conv_layer*> uses;
  };
  std::vector<group> groups;
  for (const auto& l : n.convs) {
    conv::desc key = l.d;
    key.name.clear();
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const group& g) { return g.d == key; });
    if (it == groups.end()) {
      groups.push_back({key, {}});
      it = groups.end() - 1;
    }
    it->uses.push_back(&l);
  }
  struct named {
    distinct_conv c;
    std::tuple<bool, bool, char, std::string> order;
  };
  std::vector<named> out;
  for (auto& g : groups) {
    const conv_layer& first = *g.uses.front();
    std::string name = first.name;
    bool all = false;
    if (first.stage > 1) {
      std::string letters, branches;
      for (const auto* u : g.uses) {
        if (letters.find(u->block) == std::string::npos) letters += u->block;
        if (branches.find("_" + u->branch) == std::string::npos) branches += "_" + u->branch;
      }
      std::sort(letters.begin(), letters.end());
      all = static_cast<int>(letters.size()) == blocks_per_stage[first.stage - 2];
      const std::string span = all                   ? ""
                               : letters.size() == 1 ? letters
                                                     : std::string{letters.front(), letters.back()};
      name = fmt::format("res{}{}{}", first.stage, span, branches);
    }
    g.d.name = name;
    // benchdnn's order within a stage: block a's layers, the later blocks', those of every
    // block, and the projection last.
    out.push_back({{g.d, static_cast<int>(g.uses.size())},
                   {first.branch == "1", all, first.block, first.branch}});
  }
  std::stable_sort(out.begin(), out.end(), [](const named& a, const named& b) {
    if (a.c.d.name == "conv1" || b.c.d.name == "conv1")
      return a.c.d.name == "conv1" && b.c.d.name != "conv1";
    const int sa = a.c.d.name[3] - '0', sb = b.c.d.name[3] - '0';
    if (sa != sb) return sa < sb;
    return a.order < b.order;
  });
  std::vector<distinct_conv> result;
  for (auto& o : out) result.push_back(std::move(o.c));
  return result;
}

std::string conv_shape_list(const network& n) {
  std::ostringstream s;
  s << fmt::format(
      "# ResNet-50 v1.5 convolutions from the network description (workloads/resnet50): {} "
      "distinct layers, {} convolutions; count is the layer's occurrences. Batch {}, image {}.\n",
      distinct_convs(n).size(), n.convs.size(), n.cfg.batch, n.cfg.image);
  for (const auto& c : distinct_convs(n))
    s << fmt::format("problem={} count={}\n", conv::to_string(c.d), c.count);
  return s.str();
}

}  // namespace mlhpc::resnet50
