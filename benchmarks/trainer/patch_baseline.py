"""Write examples/simple_trainer_noviewer.py: gsplat's v1.5.3 trainer, runnable offline and headless.

The training math is unchanged: the viewer imports become optional (we pass --disable_viewer), and LPIPS
is skipped when its AlexNet weights cannot be downloaded (the GPU machine is offline).
"""

import sys
from pathlib import Path

VIEWER = (
    "from gsplat_viewer import GsplatViewer, GsplatRenderTabState\n"
    "from nerfview import CameraState, RenderTabState, apply_float_colormap\n"
)
LPIPS = """        if cfg.lpips_net == "alex":
            self.lpips = LearnedPerceptualImagePatchSimilarity(
                net_type="alex", normalize=True
            ).to(self.device)"""


def patch(src: str) -> str:
    """The patched source."""
    src = src.replace("import viser\n", "try:\n    import viser\nexcept ImportError:\n    viser = None\n", 1)
    optional = "".join("    " + line + "\n" for line in VIEWER.splitlines())
    none = "    GsplatViewer = GsplatRenderTabState = CameraState = RenderTabState = apply_float_colormap = None\n"
    src = src.replace(VIEWER, f"try:\n{optional}except ImportError:\n{none}", 1)
    lpips = (
        '        if cfg.lpips_net == "alex":\n            try:\n'
        "                self.lpips = LearnedPerceptualImagePatchSimilarity(\n"
        '                    net_type="alex", normalize=True\n                ).to(self.device)\n'
        "            except Exception as exc:  # offline: no AlexNet weights\n"
        '                print(f"LPIPS disabled: {type(exc).__name__} {exc}")\n'
        '                self.lpips = lambda a, b: torch.tensor(float("nan"), device=a.device)'
    )
    if LPIPS not in src:
        raise SystemExit("unexpected simple_trainer.py: LPIPS block not found")
    return src.replace(LPIPS, lpips, 1)


if __name__ == "__main__":
    examples = Path(sys.argv[1])
    (examples / "simple_trainer_noviewer.py").write_text(patch((examples / "simple_trainer.py").read_text()))
