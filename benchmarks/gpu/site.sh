# Sourced by the GPU benchmark scripts: install the carried wheels once per machine into $SITE and, when the
# carried `.jit/gsplat_cuda.so.xz` is there (SAVE_JIT=1 brings one back), use it instead of compiling gsplat.
install_site() {
    if [ ! -f "$SITE/.installed" ]; then
        local extra
        extra=$(ls .baseline/whl/*.whl 2>/dev/null | grep -v typing_extensions)
        python3 -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .whl/*.whl $extra || return 1
        tar xJf .whl/pycolmap.tar.xz -C "$SITE" && touch "$SITE/.installed"
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
