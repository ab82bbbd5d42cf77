"""Installed as `gsplat/csrc.py` on the GPU machine: gsplat 1.5.3 imports `gsplat.csrc` before it JIT-compiles,
so this hands it the extension compiled on an earlier machine (same image, torch and CUDA) and saves the
50-80 s compile. Benchmarks only; without `GSPLAT_PREBUILT_SO` gsplat compiles as usual."""

import importlib.util
import os
import sys

_path = os.environ.get("GSPLAT_PREBUILT_SO", "")
if not os.path.isfile(_path):
    raise ImportError("no prebuilt gsplat extension")
_spec = importlib.util.spec_from_file_location("gsplat_cuda", _path)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
sys.modules[__name__] = _module
