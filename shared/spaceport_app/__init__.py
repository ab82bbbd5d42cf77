"""The application layer: the `spaceport` command, the embedded pipeline, the demo scene and the viewer.

It may import anything: the kernel (`spaceport`), the shared splat library (`spaceport_splats`) and every
service. Nothing imports it but tests and benchmarks.
"""
