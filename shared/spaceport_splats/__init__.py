"""Splat models on a sparse scene, shared by the trainer and the compressor (and the application layer).

Reading a COLMAP model and undistorting its photos, cameras and lenses, loading views, rendering splats (gsplat
on CUDA, our own tile rasterizer on CPU), PLY I/O in the SfM world frame, held-out scoring and its camera
checks. It imports the kernel (`spaceport`) and itself only; torch, pycolmap and plyfile are its dependencies
(the `splats` extra).
"""
