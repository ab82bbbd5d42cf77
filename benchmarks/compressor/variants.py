"""Our encoder's named parameter sets for the compressor benchmarks."""

from spaceport.params.compressor import CompressParams

OURS = {
    "default": CompressParams(),
    "h0": CompressParams(sh_bands=0),
    "plas": CompressParams(ordering="plas"),
}
"""Named variants; `pNNNN` also works: the default with an NNNN-entry palette."""


def ours_params(name: str) -> CompressParams:
    """The parameters a variant name stands for."""
    if name.startswith("p") and name[1:].isdigit():
        return CompressParams(palette_size=int(name[1:]))
    return OURS[name]
