#!/bin/sh
# Copies what `spherical experiment` needs to skip a finished run into a folder that can be committed, so that a fresh
# machine resumes the protocol instead of re-running it (without the runs' checkpoints and snapshots):
#   tuning candidates -> DST/tuning-state/NAME: done.json (validation history), run.json, metrics.csv
#   final runs        -> DST/final-state/NAME:  the same plus test.json (sealed test metrics) and snapshots.json
# Usage: sh docs/protocol/save_state.sh runs/gutenberg-200k docs/protocol/gutenberg-200k
# Resume on a fresh machine: mkdir -p SRC/tuning SRC/final; cp -r DST/tuning-state/* SRC/tuning/;
#   cp -r DST/final-state/* SRC/final/; cp DST/tuning.csv DST/selection.csv SRC/ (once the tuning stage has ended).
set -e
src=${1:?usage: save_state.sh RUN_DIR DOCS_DIR}
dst=${2:?usage: save_state.sh RUN_DIR DOCS_DIR}
for d in "$src"/tuning/*/; do
  [ -f "$d/done.json" ] || continue
  r=$(basename "$d")
  mkdir -p "$dst/tuning-state/$r"
  for f in done.json run.json metrics.csv; do
    [ -f "$d/$f" ] && cp "$d/$f" "$dst/tuning-state/$r/"
  done
done
for d in "$src"/final/*/; do
  [ -f "$d/done.json" ] && [ -f "$d/test.json" ] || continue
  r=$(basename "$d")
  mkdir -p "$dst/final-state/$r"
  for f in done.json test.json snapshots.json run.json metrics.csv; do
    [ -f "$d/$f" ] && cp "$d/$f" "$dst/final-state/$r/"
  done
done
