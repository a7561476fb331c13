"""`tinyq.convert(...)`: the pipeline as a function returning a Project."""

from __future__ import annotations

from pathlib import Path

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project


def convert(model: str | Path, out_dir: str | Path, calib: str | Path | None = None,
            **options: object) -> Project:
    """Convert a model file into a C project at out_dir; calib is a samples file or
    "synthetic" (data-free); options as ConvertOptions (input_shape, model_class,
    state_dict, calib_method incl. "auto", weights ("int8", "int4", "mixed"),
    weights_config, flash_budget, latency_budget, optimize_rounding, target, name, force)."""
    opts = ConvertOptions(calib=Path(calib) if calib is not None else None, **options)
    result = convert_model(Path(model), Path(out_dir), opts)
    return Project(result.out_dir)
