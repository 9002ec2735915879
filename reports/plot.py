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


def roofline(fig_spec):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ceilings = fig_spec["ceilings"]
    xs = [2.0 ** (k / 4) for k in range(-24, 49)]  # 1/64 .. 4096 flop/byte
    bw = ceilings.get("bytes_per_s")
    for name, peak in ceilings.get("flops_per_s", {}).items():
        if bw:
            ax.plot(xs, [min(peak, bw * x) / 1e9 for x in xs], label=f"roof {name}")
        else:
            ax.axhline(peak / 1e9, label=f"peak {name}")
    for p in fig_spec["points"]:
        ax.plot([p["intensity"]], [p["flops_per_s"] / 1e9], marker="o", linestyle="none",
                label=p["label"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop/byte, declared work)")
    ax.set_ylabel("GFLOP/s (median)")
    ax.set_title(fig_spec.get("title", "roofline"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6, loc="lower right")
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
        ax.bar(xs, s["values"], width, yerr=err, capsize=3, label=s["name"])
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=6)
    ax.set_ylabel(fig_spec.get("ylabel", ""))
    ax.set_title(fig_spec.get("title", ""))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def lines(fig_spec):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in fig_spec["lines"]:
        ax.plot(s["x"], s["y"], marker="o", label=f'{s["name"]} (x: {s["xlabel"]})')
    ax.set_xscale("log", base=2)
    ax.set_ylabel("G per second (flop, byte or item)")
    ax.set_title(fig_spec.get("title", ""))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def main():
    spec = json.load(open(sys.argv[1]))
    out = {}
    for name, fig_spec in spec.items():
        draw = {"roofline": roofline, "bars": bars, "lines": lines}[fig_spec["kind"]]
        fig = draw(fig_spec)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        plt.close(fig)
        out[name] = buf.getvalue()
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
