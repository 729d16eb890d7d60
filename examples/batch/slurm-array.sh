#!/bin/sh
# One batch file run as N shards by a Slurm job array: task I runs `taploop batch --shard I/N`.
# Submit with:   sbatch --array=0-3 examples/batch/slurm-array.sh batch.yaml
# then merge:    sbatch --dependency=afterany:<jobid> --wrap \
#                  'taploop report merge results/shard-*.jsonl --json --report results/junit.xml'
#SBATCH --job-name=taploop-batch
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=results/slurm-%A_%a.log
set -u
BATCH=${1:?usage: sbatch --array=0-N-1 slurm-array.sh BATCH_FILE}
SHARDS=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=0-3)}
I=${SLURM_ARRAY_TASK_ID:?run as a job array}
mkdir -p results
taploop batch "$BATCH" --shard "$I/$SHARDS" --out "results/runs-$I" --json \
    --report "results/shard-$I.xml" >"results/shard-$I.jsonl"
code=$?
# 1 (a goal not achieved) is a result, not a failed task: the merge reports it
[ "$code" -le 1 ] && exit 0
exit "$code"
