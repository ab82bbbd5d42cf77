"""Where one training step's time goes on the GPU: wall ms/step at a given splat count, and a profile.

python benchmarks/trainer/profile_step.py --scene DIR --splats 300000 [--coarse 2]
The photos are prepared as training prepares them (`camera=auto`: undistorted, classic rasterizer on a GPU);
`--coarse N` profiles a step of the coarse phase (1/N resolution).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from spaceport.params.trainer import DensifyParams, TrainParams
from spaceport_splats.dataset import load_scene
from spaceport_splats.undistort import prepare_scene
from spaceport_trainer.loop import start_run, train_step
from spaceport_trainer.mcmc import MCMCStrategy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", required=True)
    parser.add_argument("--splats", type=int, default=300_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--coarse", type=int, default=1, help="profile the coarse phase at 1/N resolution")
    args = parser.parse_args()
    device = torch.device("cuda")
    update = {"steps": 100_000, "coarse_factor": args.coarse, "coarse_fraction": 1.0}
    params = TrainParams.preset_named("standard").model_copy(update=update)
    scene = Path(args.scene)
    prepared = prepare_scene(scene, scene / "images", Path(tempfile.mkdtemp()), params.camera, on_gpu=True)
    data = load_scene(prepared.model, prepared.images_dir, params.data_factor, None, params.test_every, device)
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
    n = len(run.splats["means"])
    print(f"PROFILE renderer={run.renderer} coarse={args.coarse} splats={n} wall {wall:.2f} ms/step (refines included)")
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(20):
            train_step(run, data, False)
            run.step += 1
        torch.cuda.synchronize()
    sort = os.environ.get("PROFILE_SORT", "cuda_time_total")  # self_cpu_time_total: where the host's time goes
    print(prof.key_averages().table(sort_by=sort, row_limit=25, max_name_column_width=60))


if __name__ == "__main__":
    main()
