#!/usr/bin/env bash
# Build the git-ignored `.gpu-a/` that carries pycolmap-cuda12 4.2.1 to the GPU machine (run from the repo root;
# ../shared/notes/pycolmap-gpu.md says why each piece is needed). 49 MB in all: carry it with `.whl` and `.whl-e2e`
# in one call and the photos in the next call on the same (warm) machine; benchmarks/gpu/site.sh installs it.
set -euo pipefail
mkdir -p .gpu-a/debs
tmp=$(mktemp -d)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$tmp" pycolmap-cuda12==4.2.1 nvidia-cuda-runtime-cu12==12.9.79
(cd "$tmp" && mkdir pc && cd pc && unzip -q ../pycolmap_cuda12-*.whl)
core=$tmp/pc/pycolmap/_core.cpython-312-x86_64-linux-gnu.so
xz -6 -T0 -c "$core" > .gpu-a/core.so.xz && rm "$core"
tar cJf .gpu-a/rest.tar.xz -C "$tmp/pc" .
cp "$tmp"/nvidia_cuda_runtime_cu12-*.whl .gpu-a/
(cd .gpu-a/debs && apt-get download libx11-6 libxext6 libsm6 libice6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 \
    libuuid1 libx11-data)
rm -rf "$tmp"
du -sh .gpu-a
