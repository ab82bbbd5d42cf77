"""The compression report: what `Compressed` carries, plus the details kept in the report JSON."""

from pydantic import BaseModel, ConfigDict

from spaceport.events.metrics import CompressMetrics
from spaceport.params.compressor import CompressParams
from spaceport_compressor.fidelity import FidelityDetail
from spaceport_compressor.meta import GENERATOR


class FileSize(BaseModel):
    """One output file and its size."""

    model_config = ConfigDict(frozen=True)

    name: str
    bytes: int


class CompressReport(BaseModel):
    """Everything one compression measured."""

    model_config = ConfigDict(frozen=True)

    generator: str = GENERATOR
    metrics: CompressMetrics
    params: CompressParams
    input_rows: int
    faint_splats: int = 0
    """Valid splats left out as less opaque than `params.min_opacity` (by default those whose opacity byte would
    be 0, which no reader draws); `metrics.dropped_splats` counts them together with the bad rows."""
    files: tuple[FileSize, ...]
    palette_size: int | None = None
    palette_backend: str = ""
    palette_levels: int | None = None
    """Distinct values of the shN coefficient codebook (of its 256 entries)."""
    step_seconds: dict[str, float]
    fidelity: FidelityDetail | None = None
    exports: tuple[FileSize, ...] = ()
    """Extra formats written beside the SOG (`compressor.formats`): scene.spz, scene.glb."""
    lod_counts: tuple[int, ...] = ()
    """Splats of each level of the streamed SOG, finest first (none below `compressor.lod_threshold`)."""
    lod_files: tuple[FileSize, ...] = ()
    """The streamed SOG's files, under `lod/`, its lod-meta.json last."""

    @property
    def webp_names(self) -> tuple[str, ...]:
        """The WebP images written."""
        return tuple(f.name for f in self.files if f.name.endswith(".webp"))

    def to_json(self) -> bytes:
        """Indented JSON for people and tools."""
        return self.model_dump_json(indent=2).encode()
