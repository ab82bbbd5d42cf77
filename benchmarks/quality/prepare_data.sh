#!/usr/bin/env bash
# Copy the real photo sets the GPU suite needs into the git-ignored `.data/` that the device tool carries
# (fox: 50 photos and transforms.json, 18 MB; sceaux_castle: 11 photos, 13 MB). Never committed.
set -euo pipefail
DATA=${DATASETS:-../shared/datasets}
mkdir -p .data/fox .data/sceaux_castle
cp -r "$DATA/fox/images" "$DATA/fox/transforms.json" .data/fox/
cp -r "$DATA/sceaux_castle/images" .data/sceaux_castle/
du -sh .data
