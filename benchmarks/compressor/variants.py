"""Our encoder's named parameter sets for the compressor benchmarks."""

from spaceport.params.compressor import CompressParams

OURS = {
    "default": CompressParams(),
    "h0": CompressParams(sh_bands=0),
    "plas": CompressParams(ordering="plas"),
}
"""Named variants. Any other name is `+`-joined settings over the default (see `SETTINGS`), e.g. `p32768`,
`o0.005+pt0.2+rt0.3`."""

SETTINGS = {
    "p": ("palette_size", int),
    "o": ("min_opacity", float),
    "pt": ("position_tolerance", float),
    "rt": ("rotation_tolerance", float),
    "sl": ("scale_levels", int),
    "cl": ("color_levels", int),
    "h": ("sh_bands", int),
    "i": ("kmeans_iterations", int),
    "w": ("weighted_palette", lambda v: bool(int(v))),
}
"""Setting prefixes: p palette entries, o minimum opacity, pt / rt position / rotation tolerance, sl / cl scale /
colour codebook levels, h SH bands, i k-means steps, w1 visibility-weighted palette."""


def _setting(token: str) -> tuple[str, object]:
    prefix = token.rstrip("0123456789.e-")
    if prefix not in SETTINGS or prefix == token:
        raise ValueError(f"unknown variant setting {token!r} (known prefixes: {', '.join(SETTINGS)})")
    field, kind = SETTINGS[prefix]
    return field, kind(token[len(prefix) :])


def ours_params(name: str) -> CompressParams:
    """The parameters a variant name stands for."""
    if name in OURS:
        return OURS[name]
    return CompressParams(**dict(_setting(token) for token in name.split("+")))
