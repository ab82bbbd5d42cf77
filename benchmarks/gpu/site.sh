# Sourced by the GPU benchmark scripts (from the repository root): the device machine's working folder, build
# settings and our packages' path, which every script shares; then install the carried wheels once per machine
# into $SITE and, when the carried `.jit/gsplat_cuda.so.xz` is there (SAVE_JIT=1 brings one back), use it instead
# of compiling gsplat.
W=/tmp/spaceport-gpu
SITE=$W/site
export TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=16 PYTHONUNBUFFERED=1 CUDA_VISIBLE_DEVICES=0 TORCH_EXTENSIONS_DIR=$W/torch_ext
REPO_PYTHONPATH=$PWD/shared:$PWD/services/sfm:$PWD/services/trainer:$PWD/services/compressor:$PWD/services/monitor:$PWD
mkdir -p "$W"

install_site() {
    if [ ! -f "$SITE/.installed" ]; then
        local extra
        extra=$(ls .baseline/whl/*.whl 2>/dev/null | grep -v typing_extensions)
        python3 -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .whl/*.whl $extra || return 1
        if [ -f .whl/pycolmap.tar.xz ]; then tar xJf .whl/pycolmap.tar.xz -C "$SITE" || return 1; fi
        touch "$SITE/.installed"
    fi
    if [ -d .whl-e2e ] && [ ! -f "$SITE/.installed-e2e" ]; then  # a later call on the same machine may add them
        python3 -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .whl-e2e/*.whl || return 1
        touch "$SITE/.installed-e2e"
    fi
    if [ -f .jit/gsplat_cuda.so.xz ] && [ ! -f "$W/jit/gsplat_cuda.so" ]; then
        mkdir -p "$W/jit" && xz -dc .jit/gsplat_cuda.so.xz > "$W/jit/gsplat_cuda.so"
        cp benchmarks/gpu/prebuilt_csrc.py "$SITE/gsplat/csrc.py"
    fi
    [ -f "$W/jit/gsplat_cuda.so" ] && export GSPLAT_PREBUILT_SO=$W/jit/gsplat_cuda.so
    return 0
}

save_jit() {  # $1: folder the extension goes to, xz-compressed (about 2 MB)
    local so
    so=$(find "$TORCH_EXTENSIONS_DIR" -name 'gsplat_cuda.so' 2>/dev/null | head -1)
    [ -n "$so" ] && xz -T16 -6 -c "$so" > "$1/gsplat_cuda.so.xz"
}

# pycolmap with CUDA (PyPI's pycolmap-cuda12, same import name: never beside the CPU build). Its pieces travel in
# the git-ignored `.gpu-a/` that `benchmarks/gpu/prepare_pycolmap_cuda.sh` builds: the wheel without its 174 MB
# `_core` library (rest.tar.xz), that library as core.so.xz (44 MB), the CUDA 12 runtime wheel and Debian's X11
# libraries it links. Installed once per machine into $W/pycolmap-cuda; sets PYTHONPATH_COLMAP and LD_LIBRARY_PATH.
install_pycolmap_cuda() {
    local dir=$W/pycolmap-cuda
    if [ ! -f "$dir/.installed" ]; then
        [ -f .gpu-a/core.so.xz ] || return 1
        mkdir -p "$dir/site" "$dir/x11" "$dir/cudart"
        tar xJf .gpu-a/rest.tar.xz -C "$dir/site" || return 1
        xz -dc -T0 .gpu-a/core.so.xz > "$dir/site/pycolmap/_core.cpython-312-x86_64-linux-gnu.so" || return 1
        python3 -m pip install -q --no-index --no-deps --no-compile --target "$dir/cudart" .gpu-a/nvidia_cuda_runtime*.whl
        for deb in .gpu-a/debs/*.deb; do dpkg -x "$deb" "$dir/x11"; done
        touch "$dir/.installed"
    fi
    local curand
    curand=$(dirname "$(find / -name 'libcurand.so.10*' -not -path '/proc/*' 2>/dev/null | head -1)")
    export LD_LIBRARY_PATH=$dir/cudart/nvidia/cuda_runtime/lib:$curand:$dir/x11/usr/lib/x86_64-linux-gnu:$dir/x11/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
    export PYTHONPATH_COLMAP=$dir/site
}
