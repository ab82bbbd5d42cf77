#!/usr/bin/env bash
# Packs the SfM handoffs of `bench_scale.py --until-sfm .handoff` for the GPU machine: each photo count's folder as
# an xz tarball cut into parts of at most PART_MB (default 30) MiB, under `.handoff-parts/` (git-ignored), with a
# `<views>.parts` file giving the number of parts. Carry them in `.handoff-pack/` over as many device calls as
# the 64 MiB limit needs; run_gpu_scale.sh joins a pack once all its parts have come.
#   bash benchmarks/scale/pack_handoffs.sh 50 200 500 1000
set -euo pipefail
src=${HANDOFF:-.handoff}
out=.handoff-parts
mkdir -p "$out"
for views in "$@"; do
    rm -f "$out/$views".*
    tar cf - -C "$src" "$views" | xz -T0 -6 | split -b "${PART_MB:-30}M" -d -a 2 - "$out/$views.tar.xz.part"
    ls "$out/$views".tar.xz.part* | wc -l > "$out/$views.parts"
    echo "$views: $(cat "$out/$views.parts") part(s), $(du -ch "$out/$views".tar.xz.part* | tail -1 | cut -f1)"
done
