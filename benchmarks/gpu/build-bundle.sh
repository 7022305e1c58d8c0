#!/usr/bin/env bash
# Builds a self-contained bundle (< 64 MiB) that runs the OpenCL contract suite and the factored/log-softmax layer
# benchmarks on a machine with an NVIDIA driver but no JDK and no network:
#   a jlink'd Java runtime, the jars (no ND4J), the OpenCL ICD loader, an ICD file naming the NVIDIA driver's
#   libnvidia-opencl, and run.sh. Rehearse it here: benchmarks/gpu/build-bundle.sh && target/gpu-bundle/run.sh 2000 2
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/benchmarks/target/gpu-bundle}"
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
cd "$ROOT"
mvn -B -q -DskipTests install -pl benchmarks -am
rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/native" "$OUT/icd"
CP_FILE="$(mktemp)"
mvn -B -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime
for jar in $(tr ':' ' ' < "$CP_FILE"); do
  case "$(basename "$jar")" in
    nd4j-*|javacpp-*|openblas-*|spherical-backend-nd4j-*|protobuf-*|flatbuffers-*|guava-*|jackson-*|commons-*|guice-*|\
    javax.inject-*|jakarta.inject-*|aopalliance-*|error_prone_*|failureaccess-*|checker-qual-*|j2objc-*|\
    jsr305-*|listenablefuture-*|commons-math3-*|commons-lang3-*|commons-io-*|gson-*|oshi-*|jna-*|stream-*|\
    fastutil-*|netty-*|threadly-*|compress-*|bytebuddy-*|byte-buddy-*|lz4-*|snappy-*|zstd-*|xz-*)
      ;;
    *) cp "$jar" "$OUT/lib/" ;;
  esac
done
rm -f "$CP_FILE"
cp benchmarks/target/spherical-benchmarks-*.jar "$OUT/lib/"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.unsupported \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$OUT/runtime"
for f in /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1; do
  if [ -e "$f" ]; then cp -L "$f" "$OUT/native/libOpenCL.so.1"; break; fi
done
[ -e "$OUT/native/libOpenCL.so.1" ] || { echo "no OpenCL ICD loader here (install ocl-icd-libopencl1)" >&2; exit 1; }
echo "libnvidia-opencl.so.1" > "$OUT/icd/nvidia.icd"
cp /etc/OpenCL/vendors/*.icd "$OUT/icd/" 2>/dev/null || true
cat > "$OUT/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the OpenCL contract suite and the layer benchmarks on this machine's OpenCL device (a GPU when there is one).
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LD_LIBRARY_PATH="$DIR/native:/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
# the loader reads ICD files from here (the NVIDIA one names libnvidia-opencl.so.1, found through LD_LIBRARY_PATH)
export OCL_ICD_VENDORS="$DIR/icd"
exec "$DIR/runtime/bin/java" -Xmx8g -cp "$DIR/lib/*" io.spherical.benchmarks.GpuCheck "$@"
RUN
chmod +x "$OUT/run.sh"
SIZE=$(du -sm "$OUT" | cut -f1)
echo "bundle: $OUT ($SIZE MiB)"
[ "$SIZE" -lt 64 ] || { echo "bundle is over 64 MiB" >&2; exit 1; }
