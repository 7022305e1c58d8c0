#!/usr/bin/env python3
"""The tables of BENCHMARKS.md from the outputs of one sitting (benchmarks/scripts/sitting.sh OUT_DIR).

  python3 benchmarks/scripts/tables.py OUT_DIR      # markdown on stdout: GEMM, layers, NumPy rounds, wide minibatches,
                                                     # network, and the ratios the targets are judged on
"""
import csv
import re
import statistics
import sys
from pathlib import Path

NAMES = {"factored-z": "factored Z-loss", "dense-z": "dense Z-loss", "softmax": "log-softmax",
         "pytorch-softmax": "log-softmax, PyTorch", "hsm": "hierarchical softmax", "sampled": "sampled softmax",
         "adaptive": "adaptive softmax"}


def rows(path):
    lines = [l for l in Path(path).read_text().splitlines() if l and not l.startswith("[")]
    return list(csv.DictReader(lines)) if lines and lines[0].startswith("layer,") else [
        dict(zip("layer,vocab,dim,batch,ms_median,ms_min,ms_max,examples_per_s,gflops,peak_mb".split(","), l.split(",")))
        for l in lines]


def main(out):
    out = Path(out)
    print("## GEMM\n")
    for line in (out / "gemm.txt").read_text().splitlines():
        m = re.match(r"gemm (\w+) (\S+): ([\d.]+) GFLOP/s", line)
        if m:
            print(f"| {m.group(1)} {m.group(2)} | {m.group(3)} |")
    print("\n" + (out / "bandwidth.txt").read_text().strip() + "\n")

    layer = rows(out / "layer.csv") + rows(out / "pytorch-softmax.csv")
    by = {(r["layer"], int(r["vocab"])): r for r in layer}
    print("## Layers\n")
    for d in (10000, 100000, 793471):
        for l in ("factored-z", "dense-z", "softmax", "pytorch-softmax", "hsm", "sampled", "adaptive"):
            r = by.get((l, d))
            if r:
                peak = "-" if r["peak_mb"] in ("NaN", "") else f"{float(r['peak_mb']):,.0f}"
                print(f"| {NAMES[l]} | {d:,} | {float(r['ms_median']):,.2f} | {float(r['ms_min']):,.2f} | "
                      f"{float(r['ms_max']):,.2f} | {float(r['examples_per_s']):,.0f} | {float(r['gflops']):.1f} | {peak} |")

    print("\n## NumPy rounds\n")
    ours, numpy = [], []
    for line in (out / "numpy-vs-ours.txt").read_text().splitlines():
        kind, rnd, rest = line.split(",", 2)
        if kind == "ours":
            f = rest.split(",")
            ours.append((int(rnd), float(f[4]), float(f[5])))
        else:
            m = re.search(r"median ([\d.]+) ms, min ([\d.]+) ms", rest)
            numpy.append((int(rnd), float(m.group(1)), float(m.group(2))))
    for (r, om, on), (_, nm, nn) in zip(ours, numpy):
        print(f"| {r} | {om:.2f} ({on:.2f}) | {nm:.2f} ({nn:.2f}) | {om / nm:.2f} |")
    om = statistics.median(o[1] for o in ours)
    nm = statistics.median(n[1] for n in numpy)
    print(f"\nmedian of medians {om:.2f} / {nm:.2f} = {om / nm:.2f}; minima {min(o[2] for o in ours):.2f} / "
          f"{min(n[2] for n in numpy):.2f} = {min(o[2] for o in ours) / min(n[2] for n in numpy):.2f}")

    wide = rows(out / "large-batch.csv")
    print("\n## Wide minibatches\n")
    print(" | ".join(f"m {r['batch']}: {float(r['ms_median']):.2f} ms ({1000 * float(r['ms_median']) / int(r['batch']):.0f} us/ex)"
                     for r in wide))

    net = {r["layer"]: r for r in rows(out / "network.csv") + rows(out / "pytorch-network.csv")}
    print("\n## Network\n")
    for k, r in net.items():
        peak = "-" if r["peak_mb"] in ("NaN", "") else f"{float(r['peak_mb']):,.0f}"
        print(f"| {k} | {float(r['ms_median']):,.2f} | {float(r['ms_min']):,.2f} | {float(r['ms_max']):,.2f} | "
              f"{float(r['examples_per_s']):,.0f} | {peak} |")

    f = lambda l, d=793471: float(by[(l, d)]["ms_median"])
    g = lambda k: float(net[k]["ms_median"])
    print("\n## Ratios\n")
    print(f"T(793471)/T(10000) factored: {f('factored-z') / f('factored-z', 10000):.2f}")
    print(f"ours/PyTorch softmax: " + ", ".join(f"{f('softmax', d) / f('pytorch-softmax', d):.2f}" for d in (10000, 100000, 793471)))
    for l in ("softmax", "pytorch-softmax", "hsm", "sampled", "adaptive", "dense-z"):
        print(f"layer {l} / factored: {f(l) / f('factored-z'):.1f}x")
    fz = g("network/factored-z")
    print(f"network factored / none: {fz / g('network/none'):.3f}")
    for k in net:
        print(f"network {k} / factored: {g(k) / fz:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/2026-11-27-stop21")
