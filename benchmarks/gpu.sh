#!/usr/bin/env bash
# The GPU figures of benchmarks/README.md, in one call on a lent GPU machine (187 s on an H200, 2026-12-04).
#
#     bash benchmarks/gpu.sh [OUT]   # OUT: the few files worth keeping (default runs/gpu); the runs go to OUT/work
#
# 1. what the machine is; 2. a 60-step smoke run on the GPU (fails fast if the CUDA path is broken);
# 3. the README recipe on this machine's CPU against the same recipe on its GPU, interleaved, seeds 0 and 1;
# 4. a GPU-sized recipe (batch 256 of 12x12 boards) alone, seeds 0 and 1.
# Every stage has its own time limit and the later stages run even if an earlier one failed, so one
# call brings back whatever could be measured. PY and EXTRA (appended to every recipe, e.g.
# "--steps 100" for a dry run of the plumbing) are for trying the script where there is no GPU.
set -u
OUT=${1:-runs/gpu}
WORK=${WORK:-$OUT/work}
PY=${PY:-python3}
DEV=${DEV:-cuda}
EXTRA=${EXTRA:-}
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1
recipe="--regime autoencoder --game-steps 3"

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv 2>&1 || true
nproc
"$PY" -c "import sys, torch, huggingface_hub as h; print(sys.version.split()[0], 'torch', torch.__version__, \
'hub', h.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

echo "== smoke: 60 steps on $DEV"
timeout 120 "$PY" -m training.train $recipe --device "$DEV" --steps 60 --log-every 30 --eval-episodes 200 \
    --out "$WORK/smoke" 2>&1 | tr '\r' '\n' | grep -v '%|' | tail -n 8
cp "$WORK/smoke/log.jsonl" "$OUT/smoke-log.jsonl" 2>/dev/null

echo "== the README recipe: this machine's CPU against its GPU"
timeout 240 "$PY" benchmarks/training.py --names cpu "$DEV" --seeds 0 1 --out "$WORK/recipe" \
    --baseline "$recipe --device cpu $EXTRA" --candidate "$recipe --device $DEV $EXTRA"
cp "$WORK/recipe/results.json" "$OUT/recipe.json" 2>/dev/null

echo "== a GPU-sized recipe: batch 256 of 12x12 boards"
timeout 120 "$PY" benchmarks/training.py --names "$DEV-batch256" unused --seeds 0 1 --out "$WORK/batch256" \
    --baseline "$recipe --device $DEV --batch-size 256 --train-size 12 $EXTRA"
cp "$WORK/batch256/results.json" "$OUT/batch256.json" 2>/dev/null
nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv 2>&1 || true
