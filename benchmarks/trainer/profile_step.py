"""Where one training step's time goes on the GPU: wall ms/step at a given splat count, and a profile.

python benchmarks/trainer/profile_step.py --scene DIR --splats 300000
"""

import argparse
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from spaceport.params.trainer import DensifyParams, TrainParams
from spaceport_splats.colmap import read_sparse_model
from spaceport_splats.dataset import load_scene
from spaceport_trainer.loop import start_run, train_step
from spaceport_trainer.mcmc import MCMCStrategy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", required=True)
    parser.add_argument("--splats", type=int, default=300_000)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    device = torch.device("cuda")
    params = TrainParams.preset_named("standard").model_copy(update={"steps": 100_000})
    scene = Path(args.scene)
    data = load_scene(
        read_sparse_model(scene / "sparse" / "0"), scene / "images", params.data_factor, None, params.test_every, device
    )
    run = start_run(data, params, device, None)
    doubler = MCMCStrategy(DensifyParams(growth=2.0), args.splats, 0)
    while len(run.splats["means"]) < args.splats:
        doubler.grow(run.splats, run.optimizer)
    run.step = 3000  # SH degree 3, past the refine start
    for _ in range(20):
        train_step(run, data, False)
        run.step += 1
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        train_step(run, data, False)
        run.step += 1
    torch.cuda.synchronize()
    wall = (time.perf_counter() - t0) / args.steps * 1000
    print(f"PROFILE splats={len(run.splats['means'])} wall {wall:.2f} ms/step (includes refines every 100)")
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(20):
            train_step(run, data, False)
            run.step += 1
        torch.cuda.synchronize()
    table = prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=60)
    print(table)


if __name__ == "__main__":
    main()
