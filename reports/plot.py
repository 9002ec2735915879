#!/usr/bin/env python3
"""Figures for `mlhpc report`, drawn with matplotlib: reads a JSON spec of figures and writes
a JSON object {name: svg_text}. Exit status 3 when matplotlib is missing (the report then says
how to get figures). Called by the report command only; reads and writes only the two files."""
import io
import json
import sys

try:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
except ImportError as e:
    print(f"matplotlib is not available: {e}", file=sys.stderr)
    sys.exit(3)

# Every string drawn comes from result files (labels, host names, keys): plain text, never
# markup. Mathtext would read "$...$" (and fail on an odd or malformed one, drawing nothing),
# TeX would run for usetex; a legend drops labels that start with "_".
matplotlib.rcParams["text.parse_math"] = False
matplotlib.rcParams["text.usetex"] = False


def plain(text):
    text = str(text)
    return "\u200b" + text if text.startswith("_") else text


MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p"]


def roofline(fig_spec):
    fig, ax = plt.subplots(figsize=(9, 4.8 + 0.14 * len(fig_spec["points"])))
    ceilings = fig_spec["ceilings"]
    xs = [2.0 ** (k / 4) for k in range(-24, 49)]  # 1/64 .. 4096 flop/byte
    bw = ceilings.get("bytes_per_s")
    for name, peak in sorted(ceilings.get("flops_per_s", {}).items(), key=lambda kv: -kv[1]):
        ys = [min(peak, bw * x) / 1e9 if bw else peak / 1e9 for x in xs]
        line, = ax.plot(xs, ys, color="0.35", linewidth=1)
        # The roof's name on the roof itself, at its right end.
        ax.annotate(f"{name} peak {peak / 1e9:.0f} GFLOP/s", (xs[-1], peak / 1e9),
                    textcoords="offset points", xytext=(-4, 3), ha="right", fontsize=7,
                    color="0.25")
    if bw:
        ax.annotate(f"memory {bw / 1e9:.1f} GB/s", (xs[8], bw * xs[8] / 1e9),
                    textcoords="offset points", xytext=(4, -10), rotation=0, fontsize=7,
                    color="0.25")
    for k, p in enumerate(fig_spec["points"]):
        ax.plot([p["intensity"]], [p["flops_per_s"] / 1e9], marker=MARKERS[k % len(MARKERS)],
                linestyle="none", markersize=7, label=plain(p["label"]))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop/byte, declared work)")
    ax.set_ylabel("GFLOP/s (median)")
    ax.set_title(fig_spec.get("title", "roofline"), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    if fig_spec["points"]:
        # Outside the data, below the axes, so that the axes keep the figure's width.
        longest = max(len(p["label"]) for p in fig_spec["points"])
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                  ncol=2 if longest < 60 else 1, frameon=False)
    fig.tight_layout()
    return fig


def human_bytes(v):
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if v >= size:
            return f"{v / size:g} {unit}"
    return f"{v:g} B"


def busbw(fig_spec):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k, s in enumerate(fig_spec["lines"]):
        ax.plot(s["x"], s["y"], marker=MARKERS[k % len(MARKERS)], label=plain(s["name"]))
    xs = sorted({x for s in fig_spec["lines"] for x in s["x"]})
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([human_bytes(x) for x in xs], rotation=45, ha="right", fontsize=7)
    ax.set_xlabel("message size (bytes per rank, as nccl-tests)")
    ax.set_ylabel("bus bandwidth, GB/s (median)")
    ax.set_title(fig_spec.get("title", ""), fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig


def breakdown(fig_spec):
    pairs = sorted(zip(fig_spec["values"], fig_spec["labels"]))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(pairs) + 1.5))
    total = sum(v for v, _ in pairs) or 1.0
    ax.barh([l for _, l in pairs], [v for v, _ in pairs], color="tab:blue")
    for y, (v, _) in enumerate(pairs):
        ax.annotate(f"{v:.1f} ms ({100 * v / total:.0f} %)", (v, y), textcoords="offset points",
                    xytext=(3, -3), fontsize=7)
    ax.set_xlabel(fig_spec.get("xlabel", ""))
    ax.set_title(fig_spec.get("title", ""), fontsize=9)
    ax.set_xlim(0, max(v for v, _ in pairs) * 1.25)
    fig.tight_layout()
    return fig


def verdicts(fig_spec):
    colours = {"pass": "tab:green", "warn": "tab:orange", "fail": "tab:red"}
    n = len(fig_spec["labels"])
    fig, ax = plt.subplots(figsize=(8, 0.35 * n + 1.5))
    ys = list(range(n))
    ax.barh(ys, fig_spec["ratios"], color=[colours.get(v, "0.5") for v in fig_spec["verdicts"]])
    for y, (w, f, r, v) in enumerate(zip(fig_spec["warn"], fig_spec["fail"], fig_spec["ratios"],
                                         fig_spec["verdicts"])):
        ax.plot([w, w], [y - 0.4, y + 0.4], color="tab:orange", linewidth=1.5)
        ax.plot([f, f], [y - 0.4, y + 0.4], color="tab:red", linewidth=1.5)
        ax.annotate(f"{100 * r:.1f} % {v.upper()}", (r, y), textcoords="offset points",
                    xytext=(3, -3), fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels(fig_spec["labels"], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.2, max(fig_spec["ratios"]) * 1.2))
    ax.set_xlabel("measured / expected (orange: warn threshold, red: fail threshold)")
    ax.set_title(fig_spec.get("title", ""), fontsize=9)
    fig.tight_layout()
    return fig


def bars(fig_spec):
    labels = fig_spec["labels"]
    series = fig_spec["series"]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) * len(series)), 4.5))
    width = 0.8 / max(1, len(series))
    for i, s in enumerate(series):
        xs = [j + i * width for j in range(len(labels))]
        err = [[max(0, v - lo) for v, lo in zip(s["values"], s["low"])],
               [max(0, hi - v) for v, hi in zip(s["values"], s["high"])]]
        ax.bar(xs, s["values"], width, yerr=err, capsize=3, label=plain(s["name"]))
        # The verdict of this file against the first, above each bar that changed.
        for x, hi, v in zip(xs, s["high"], s.get("verdicts", [])):
            if v in ("regressed", "improved", "inconclusive"):
                mark = {"regressed": "slower", "improved": "faster", "inconclusive": "?"}[v]
                ax.annotate(mark, (x, hi), textcoords="offset points", xytext=(0, 2),
                            ha="center", fontsize=6, rotation=90,
                            color={"regressed": "tab:red", "improved": "tab:green"}.get(v, "0.4"))
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=6)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_ylabel(fig_spec.get("ylabel", ""))
    ax.set_title(fig_spec.get("title", ""))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def lines(fig_spec):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in fig_spec["lines"]:
        ax.plot(s["x"], s["y"], marker="o", label=plain(f'{s["name"]} (x: {s["xlabel"]})'))
    ax.set_xscale("log", base=2)
    ax.set_ylabel("G per second (flop, byte or item)")
    ax.set_title(fig_spec.get("title", ""))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def ratios(fig_spec):
    colours = {"regressed": "tab:red", "improved": "tab:green"}
    rows = [(s["name"], l, v, lo, hi, vd) for s in fig_spec["series"]
            for l, v, lo, hi, vd in zip(s["labels"], s["values"], s["low"], s["high"],
                                        s["verdicts"])]
    multi = len(fig_spec["series"]) > 1
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(rows) + 1.6))
    ys = list(range(len(rows)))
    ax.barh(ys, [r[2] - 1 for r in rows], left=1,
            xerr=[[max(0, r[2] - r[3]) for r in rows], [max(0, r[4] - r[2]) for r in rows]],
            capsize=2, color=[colours.get(r[5], "0.6") for r in rows])
    for y, r in zip(ys, rows):
        ax.annotate(r[5], (max(1.0, r[4], r[2]), y), textcoords="offset points", xytext=(3, -3),
                    fontsize=6, color=colours.get(r[5], "0.3"))
    t = fig_spec.get("threshold", 0.05)
    for x in (1 + t, 1 / (1 + t)):
        ax.axvline(x, color="0.4", linestyle="--", linewidth=0.8)
    ax.axvline(1, color="k", linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([(f"{r[1]} ({r[0]})" if multi else r[1]) for r in rows], fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("time ratio new / base (below 1: faster)")
    ax.set_title(fig_spec.get("title", ""), fontsize=8)
    fig.tight_layout()
    return fig


def main():
    spec = json.load(open(sys.argv[1]))
    out = {}
    for name, fig_spec in spec.items():
        draw = {"roofline": roofline, "bars": bars, "lines": lines, "busbw": busbw,
                "breakdown": breakdown, "verdicts": verdicts, "ratios": ratios}[fig_spec["kind"]]
        fig = draw(fig_spec)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        plt.close(fig)
        out[name] = buf.getvalue()
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
