#!/bin/sh
# Copies what the protocol needs to skip a finished run (tuning candidates and final runs) into docs/protocol/gutenberg-200k:
# done.json (validation history), test.json (the final run's sealed test metrics), snapshots.json, run.json, metrics.csv.
set -e
src=${1:-runs/gutenberg-200k}
dst=${2:-docs/protocol/gutenberg-200k}
for d in "$src"/final/*/; do
  r=$(basename "$d")
  [ -f "$d/done.json" ] && [ -f "$d/test.json" ] || continue
  mkdir -p "$dst/final-state/$r"
  for f in done.json test.json snapshots.json run.json metrics.csv; do
    [ -f "$d/$f" ] && cp "$d/$f" "$dst/final-state/$r/"
  done
done
