#!/usr/bin/env bash
# Every speed number of BENCHMARKS.md in one sitting, on a quiet machine (run nothing else meanwhile):
#   benchmarks/scripts/sitting.sh OUT_DIR
# Writes OUT_DIR/machine.txt (date, nproc, lscpu), gemm.txt, bandwidth.txt, layer.csv (+ docs/bench-layer.png), pytorch-softmax.csv,
# numpy-vs-ours.txt (three alternating rounds of the factored step against the NumPy peer), network.csv,
# pytorch-network.csv (dense and sparse embeddings) and large-batch.csv (the factored step at m = 200 .. 1600).
# machine.txt also records the 1-minute load average before and after the sitting; a warning is printed when it is
# above $SITTING_MAX_LOAD (default 0.5, for 2 cores) at the start: the numbers of a busy machine are not comparable.
# Maven runs online (no -o): on a fresh clone it must fetch the exec plugin and the PyTorch profile's jars first.
set -euo pipefail
MAX_LOAD="${SITTING_MAX_LOAD:-0.5}"
load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown; }
LOAD_BEFORE="$(load1)"
if [ "$LOAD_BEFORE" != unknown ] && awk -v l="$LOAD_BEFORE" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; then
  echo "sitting.sh: warning: the 1-minute load average is $LOAD_BEFORE (above $MAX_LOAD); the machine is not quiet, so the timings will be noisy" >&2
fi
cd "$(dirname "$0")/../.."
OUT="${1:?usage: $0 OUT_DIR}"
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
{ date -u; echo "nproc: $(nproc)"; echo "load average before: $LOAD_BEFORE"; lscpu; java -version 2>&1
  python3 -c 'import numpy; print("numpy", numpy.__version__)'; } > "$OUT/machine.txt"
./spherical backends > "$OUT/backends.txt" 2>&1     # builds the command first if the sources changed
mvn -B -q -pl benchmarks exec:exec -Dbench.main=io.spherical.benchmarks.GemmBench -Dbench.args="793471 20" \
  > "$OUT/gemm.txt" 2>/dev/null
python3 -c '
import time, numpy as np
a = np.ones(1 << 28, np.float32); b = np.empty_like(a); ts = []
for _ in range(5):
    t = time.perf_counter(); np.copyto(b, a); ts.append(time.perf_counter() - t)
print("memory copy bandwidth (read + write of 1 GiB), GB/s:", round(2 * a.nbytes / sorted(ts)[2] / 1e9, 1))' > "$OUT/bandwidth.txt"
./spherical bench layer --layers factored-z,dense-z,softmax,hsm,sampled,adaptive --vocab 10000,100000,793471 --dim 513 \
  --batch 200 --warmup 2 --iterations 10 --format csv --plot docs/bench-layer.png > "$OUT/layer.csv" 2>/dev/null
mvn -B -q -Ppytorch -pl benchmarks compile exec:exec -Dbench.main=io.spherical.benchmarks.PyTorchSoftmaxPeer \
  -Dbench.args="10000,100000,793471 513 200 5 csv" -Dai.djl.offline=true > "$OUT/pytorch-softmax.csv" 2>/dev/null
for round in 1 2 3; do
  echo "ours,$round,$(./spherical bench layer --layers factored-z --vocab 793471 --dim 513 --batch 200 --warmup 3 \
    --iterations 30 --format csv 2>/dev/null | tail -1)"
  echo "numpy,$round,$(python3 benchmarks/peers/factored_step.py --vocab 793471 --dim 513 --batch 200 --iterations 20 | tail -1)"
done > "$OUT/numpy-vs-ours.txt"
./spherical bench network --preset 1bw --layers factored-z,none,hsm,sampled,adaptive,softmax --vocab 793471 \
  --warmup 2 --iterations 10 --format csv > "$OUT/network.csv" 2>/dev/null
for variant in dense sparse; do
  mvn -B -q -Ppytorch -pl benchmarks compile exec:exec -Dbench.main=io.spherical.benchmarks.PyTorchNetworkPeer \
    -Dbench.args="793471 200 3 csv $variant" -Dai.djl.offline=true 2>/dev/null | grep '^pytorch-network/'
done > "$OUT/pytorch-network.csv"
for m in 200 400 800 1600; do
  ./spherical bench layer --layers factored-z --vocab 10000 --dim 513 --batch "$m" --warmup 2 --iterations 10 \
    --format csv 2>/dev/null | tail -1
done > "$OUT/large-batch.csv"
LOAD_AFTER="$(load1)"
echo "load average after: $LOAD_AFTER" >> "$OUT/machine.txt"
echo "sitting.sh: done; load average before $LOAD_BEFORE, after $LOAD_AFTER (in $OUT/machine.txt)" >&2
