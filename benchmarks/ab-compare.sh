#!/usr/bin/env bash
# Times the factored Z-loss layer step of an older commit against the working tree, alternating, on one machine.
#   benchmarks/ab-compare.sh OLD_REV [ROUNDS] [extra 'spherical bench layer' options]
# Example (the comparison reported for the redesign): benchmarks/ab-compare.sh 6089b2e 3
# Prints one CSV row per run (layer,vocab,dim,batch,ms_median,ms_min,ms_max,...), prefixed by old or new.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OLD_REV="${1:?usage: $0 OLD_REV [ROUNDS] [bench options]}"
ROUNDS="${2:-3}"
shift $(( $# > 1 ? 2 : 1 ))
OLD="$(mktemp -d "${TMPDIR:-/tmp}/spherical-old.XXXXXX")"
trap 'git -C "$ROOT" worktree remove --force "$OLD" >/dev/null 2>&1 || true' EXIT
git -C "$ROOT" worktree add -q --detach "$OLD" "$OLD_REV"
for tree in "$OLD" "$ROOT"; do (cd "$tree" && mvn -B -q -o package -DskipTests -pl cli -am >/dev/null); done
export OMP_WAIT_POLICY=PASSIVE
run() {
  local tree="$1"
  shift
  java -Djava.awt.headless=true -cp "$tree/cli/target/classes:$(cat "$tree/cli/target/classpath.txt")" io.spherical.cli.Main \
    bench layer --layers factored-z --vocab 793471 --dim 513 --batch 200 --warmup 3 --iterations 30 --format csv "$@" \
    2>/dev/null | tail -1
}
for _ in $(seq "$ROUNDS"); do
  echo "old $(run "$OLD" "$@")"
  echo "new $(run "$ROOT" "$@")"
done
