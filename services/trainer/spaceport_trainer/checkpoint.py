"""Training checkpoints: splats, optimiser state (with MCMC's resized moments), step, RNG, params, and the
per-photo appearance transforms when the run learns them.

A checkpoint resumes only the run that wrote it: its parameters must match (the fingerprint).
Files are written to a temporary name and renamed, so a crash never leaves a truncated checkpoint.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import structlog
import torch

from spaceport.params.trainer import TrainParams
from spaceport_splats.render import Splats

log = structlog.get_logger(__name__)
LATEST = "latest.pt"


def fingerprint(params: TrainParams) -> str:
    """What must match for a checkpoint to be resumed."""
    return hashlib.sha256(params.model_dump_json().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """A training state read back from disk."""

    step: int  # steps completed
    splats: Splats
    optimizer: dict[str, object]
    rng: dict[str, torch.Tensor]
    elapsed: float  # training seconds spent before this checkpoint
    appearance: dict[str, object] | None = None  # `Appearance.state_dict()`


def save_checkpoint(
    folder: Path,
    step: int,
    splats: Splats,
    optimizer: torch.optim.Optimizer,
    params: TrainParams,
    elapsed: float,
    appearance: dict[str, object] | None = None,
) -> Path:
    """Write `folder/latest.pt` atomically; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = {"cpu": torch.get_rng_state()}
    if splats["means"].is_cuda:
        rng["cuda"] = torch.cuda.get_rng_state(splats["means"].device)
    state = {
        "step": step,
        "fingerprint": fingerprint(params),
        "splats": {k: v.detach().cpu() for k, v in splats.items()},
        "optimizer": optimizer.state_dict(),
        "rng": rng,
        "elapsed": elapsed,
        "appearance": appearance,
    }
    path = folder / LATEST
    tmp = folder / f".{LATEST}.{os.getpid()}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(folder: Path, params: TrainParams, device: torch.device) -> Checkpoint | None:
    """The checkpoint in `folder`, or None if there is none or it belongs to other parameters."""
    path = folder / LATEST
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("fingerprint") != fingerprint(params):
        log.warning("checkpoint_ignored", reason="parameters differ", path=str(path))
        return None
    splats = {k: v.to(device).requires_grad_(True) for k, v in state["splats"].items()}
    return Checkpoint(
        step=int(state["step"]),
        splats=splats,
        optimizer=state["optimizer"],
        rng=state["rng"],
        elapsed=float(state["elapsed"]),
        appearance=state.get("appearance"),
    )


def restore_rng(rng: dict[str, torch.Tensor], device: torch.device) -> None:
    """Put the random generators back where the checkpoint left them."""
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], device)
