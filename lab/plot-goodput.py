#!/usr/bin/env python3
"""Goodput against loss for the tools of lab/transfer-bench.sh, as a self-contained SVG (no matplotlib needed).

Usage: lab/plot-goodput.py RESULTS.jsonl [OUT.svg] [--link MBIT] [--since ISO-TIME]
Takes the ok runs (every copy byte-equal) of the scenarios whose link is MBIT (default 200) and whose tools had
no rate cap, and draws, per tool, the median goodput at each loss rate (line) and every run (dots), with the
link rate and 95 % / 90 % of it as guides. --since keeps only the runs recorded at or after ISO-TIME.
"""
import json
import statistics
import sys

COLORS = {"deploycast": "#1f77b4", "udpcast": "#d62728", "uftp": "#2ca02c"}


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    src = args[0]
    out = args[1] if len(args) > 1 else "docs/images/goodput-vs-loss.svg"
    link = float(opts.get("--link", 200))
    since = opts.get("--since", "")
    runs = {}
    sizes, receivers = set(), set()
    for line in open(src):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("bench") != "transfer-bench" or not r.get("ok") or r.get("cap") != "none":
            continue
        if float(r.get("link_mbit", 0)) != link or r.get("time", "") < since:
            continue
        runs.setdefault(r["tool"], {}).setdefault(r["loss_permille"] / 10, []).append(r["goodput_mbit"])
        sizes.add(r["size_bytes"])
        receivers.add(r["receivers"])
    if not runs:
        print("no matching runs in " + src, file=sys.stderr)
        return 1

    w, h = 640, 400
    left, right, top, bottom = 70, 150, 40, 60
    pw, ph = w - left - right, h - top - bottom
    losses = sorted({l for t in runs.values() for l in t})
    xmax = max(losses) if max(losses) > 0 else 1
    ymax = link * 1.05

    def x(v):
        return left + pw * v / xmax

    def y(v):
        return top + ph * (1 - v / ymax)

    e = []
    e.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' % (w, h, w, h))
    e.append('<rect width="100%" height="100%" fill="white"/>')
    title = "Goodput against random loss: %s receivers, %g Mbit/s links, %s" % (
        "/".join(str(n) for n in sorted(receivers)), link, "/".join("%g MiB" % (s / 1048576) for s in sorted(sizes)))
    e.append('<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>' % (left, title))
    # grid and axes
    step = 25 if link <= 250 else 100
    v = 0
    while v <= ymax:
        e.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, left + pw, y(v), y(v)))
        e.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (left - 6, y(v) + 4, v))
        v += step
    for l in losses:
        e.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (x(l), x(l), top, top + ph))
        e.append('<text x="%.1f" y="%d" text-anchor="middle">%g %%</text>' % (x(l), top + ph + 18, l))
    e.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (left, left + pw, top + ph, top + ph))
    e.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (left, left, top, top + ph))
    e.append('<text x="%d" y="%d" text-anchor="middle">random loss at every receiver</text>' % (left + pw / 2, h - 18))
    e.append('<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">goodput, Mbit/s (file bytes / wall time)</text>' % (top + ph / 2))
    for frac, label in ((1.0, "link"), (0.95, "95 %"), (0.90, "90 %")):
        e.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="4 3"/>' % (left, left + pw, y(link * frac), y(link * frac)))
        e.append('<text x="%d" y="%.1f" fill="#666" font-size="10">%s</text>' % (left + pw + 4, y(link * frac) + 3, label))
    # series
    ly = top + 60
    for tool in ("deploycast", "udpcast", "uftp"):
        if tool not in runs:
            continue
        c = COLORS[tool]
        pts = sorted((l, statistics.median(g)) for l, g in runs[tool].items())
        e.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, " ".join("%.1f,%.1f" % (x(l), y(g)) for l, g in pts)))
        for l, gs in runs[tool].items():
            for g in gs:
                e.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s" fill-opacity="0.5"/>' % (x(l), y(g), c))
        for l, g in pts:
            e.append('<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s"/>' % (x(l), y(g), c))
        e.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>' % (left + pw + 40, left + pw + 60, ly, ly, c))
        e.append('<text x="%d" y="%d">%s</text>' % (left + pw + 66, ly + 4, tool))
        ly += 20
    e.append('<text x="%d" y="%d" font-size="10" fill="#666">line: median; dots: runs</text>' % (left + pw + 10, ly + 6))
    e.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(e) + "\n")
    print("wrote " + out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
