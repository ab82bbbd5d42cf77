"""Spaceport trainer service: a sparse COLMAP model and its photos in, a trained 3DGS `.ply` out."""
