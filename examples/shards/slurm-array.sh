#!/bin/bash
# A Slurm job array: each task downloads its shard of urls.txt into one shared folder, then makes
# the thumbnails of its shard of the photos. Submit from the folder that holds urls.txt:
#   sbatch examples/shards/slurm-array.sh
#   sbatch --dependency=afterany:JOBID --wrap 'conc-fetch --summary /shared/mirror'   # the union
#SBATCH --job-name=conc-shards
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=conc-shards-%A_%a.out

# --shard auto reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (any --array=A-B[:STEP]).
conc-fetch --shard auto --no-progress -o /shared/mirror urls.txt
fetch=$?
conc-thumbs --shard auto --no-progress -s 256 -o /shared/thumbs /shared/photos
thumbs=$?
# 1 (some items failed, the rest done) marks the task FAILED; a re-run of that task
# (sbatch --array=N ...) redoes only what it did not finish.
[ "$fetch" -le 1 ] && [ "$thumbs" -le 1 ] && exit $((fetch | thumbs))
exit 2
