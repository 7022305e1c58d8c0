#!/usr/bin/env bash
# GEMM paths in one sitting: Nd4j.gemm against a direct cblas_sgemm on the same memory, at 1 and 2 threads, with the
# OpenBLAS the build pins (0.3.31) and with the one ND4J bundles (0.3.19). Usage: benchmarks/scripts/gemm-paths.sh [D] [repeats]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o test-compile -pl backend-nd4j -am >/dev/null
CP_FILE="$(mktemp)"
mvn -B -q -o dependency:build-classpath -pl backend-nd4j -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
CP="backend-nd4j/target/test-classes:backend-nd4j/target/classes:$(cat "$CP_FILE")"
M2="$HOME/.m2/repository/org/bytedeco"
OLD="$(echo "$CP" | sed -e "s#javacpp/1.5.13/javacpp-1.5.13#javacpp/1.5.7/javacpp-1.5.7#g" \
  -e "s#openblas/0.3.31-1.5.13/openblas-0.3.31-1.5.13#openblas/0.3.19-1.5.7/openblas-0.3.19-1.5.7#g")"
rm -f "$CP_FILE"
export OMP_WAIT_POLICY=PASSIVE
for round in 1 2; do
  java -cp "$CP" io.spherical.backend.nd4j.CblasGemmBench "$@" | sed "s/^/pinned,$round,/"
  java -cp "$OLD" io.spherical.backend.nd4j.CblasGemmBench "$@" | sed "s/^/bundled,$round,/"
done
