#!/usr/bin/env bash
# Build the git-ignored folders the GPU benchmark carries to the device machine (run from the repo root):
#   .whl/      wheels our trainer needs there (gsplat 1.5.3 py3-none-any, plyfile, pydantic, structlog,
#              pytest) and pycolmap 4.2.1 cp312 repacked as pycolmap.tar.xz (its 38 MB wheel is 21 MB as xz)
#   .baseline/ gsplat v1.5.3 examples/ with simple_trainer_noviewer.py (viewer imports optional, LPIPS
#              skipped offline), rmbrualla/pycolmap @cc7ea4b (numpy-2 patch), fused-ssim @328dc98,
#              tyro and its wheels, and fox: the 50 original photos plus sparse/0 as sparse.tar.xz
# Sources of the three repositories: local git clones given as GSPLAT, FUSED_SSIM and RB_PYCOLMAP (e.g.
# fetched snapshots). Without them (OURS_ONLY=1) only `.whl`, `.whl-e2e` and `.baseline/fox` are built: enough
# for our trainer and the end-to-end run, not for the baseline. Nothing here is committed; the folders stay
# under the 64 MiB carry.
set -euo pipefail
DATA=${DATASETS:-../shared/datasets}
if [ -z "${OURS_ONLY:-}" ]; then
    : "${GSPLAT:?clone of nerfstudio-project/gsplat}" "${FUSED_SSIM:?clone of rahul-goel/fused-ssim}"
    : "${RB_PYCOLMAP:?clone of rmbrualla/pycolmap}"
fi
dl() { python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "$@"; }

mkdir -p .whl .baseline/whl .baseline/fox
dl -d .whl gsplat==1.5.3 plyfile==1.1.2 pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 \
    typing-inspection==0.4.5 typing_extensions==4.16.0 structlog==26.1.0 pytest==8.4.2 pluggy==1.6.0 \
    iniconfig==2.1.0
tmp=$(mktemp -d)
dl -d "$tmp" pycolmap==4.2.1
(cd "$tmp" && unzip -q pycolmap-*.whl && rm pycolmap-*.whl && tar cf - . | xz -9e -T1 > "$tmp.tar.xz")
mv "$tmp.tar.xz" .whl/pycolmap.tar.xz && rm -rf "$tmp"
mkdir -p .whl-e2e
dl -d .whl-e2e pydantic-settings==2.16.3 python-dotenv==1.2.4 aio-pika==10.2.1 aiormq==7.2.4 pamqp==4.0.1 \
    typer==0.29.2 click==8.5.1 annotated-doc==0.0.7 shellingham==1.5.4
cp -r "$DATA/fox/images" .baseline/fox/
tar cJf .baseline/fox/sparse.tar.xz -C "$DATA/fox" sparse
if [ -n "${OURS_ONLY:-}" ]; then
    du -sh .whl .whl-e2e .baseline
    exit 0
fi

dl -d .baseline/whl tyro==0.9.35 docstring-parser==0.18.0 shtab==1.13.0 typeguard==4.6.1
rm -rf .baseline/examples .baseline/fused-ssim .baseline/pycolmap_src
git -C "$GSPLAT" archive v1.5.3 examples | tar x -C .baseline
mkdir -p .baseline/fused-ssim .baseline/pycolmap_src
git -C "$FUSED_SSIM" archive 328dc9836f513d00c4b5bc38fe30478b4435cbb5 | tar x -C .baseline/fused-ssim
rm -rf .baseline/fused-ssim/images
git -C "$RB_PYCOLMAP" archive cc7ea4b7301720ac29287dbe450952511b32125e | tar x -C .baseline/pycolmap_src
sed -i 's/INVALID_POINT3D = np.uint64(-1)/INVALID_POINT3D = np.uint64(2**64 - 1)/' \
    .baseline/pycolmap_src/pycolmap/scene_manager.py
python3 benchmarks/trainer/patch_baseline.py .baseline/examples
du -sh .whl .whl-e2e .baseline
