"""The photo cache's budget for this machine: from the job's parameters, else from free device and host memory."""

import os

import torch

from spaceport.params.trainer import PhotoCacheParams
from spaceport_splats.photo_cache import CacheBudget

GIB = 2**30


def available_host_bytes() -> int:
    """Host memory available to new allocations (`MemAvailable`), else the free physical pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def photo_budget(params: PhotoCacheParams, device: torch.device) -> CacheBudget:
    """Bytes for photos on the device and in host memory. Unset, the device tier takes `device_share` of the
    GPU's free memory (at most `device_cap_gib`), or on CPU `host_share` of the available RAM (at most
    `host_cap_gib`); the host tier (CUDA only: pinned memory) takes `host_share` of the available RAM up to
    `host_cap_gib`."""
    host_default = min(int(available_host_bytes() * params.host_share), int(params.host_cap_gib * GIB))
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        device_default = min(int(free * params.device_share), int(params.device_cap_gib * GIB))
        host = host_default if params.host_bytes is None else params.host_bytes
    else:
        device_default, host = host_default, 0 if params.host_bytes is None else params.host_bytes
    device_bytes = device_default if params.device_bytes is None else params.device_bytes
    return CacheBudget(device_bytes=device_bytes, host_bytes=host, staging=params.staging)
