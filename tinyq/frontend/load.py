"""Model files -> a PyTorch object tinyq can capture.

Takes a path and optionally `--model-class pkg.mod:Class` with `--state-dict`; gives an
nn.Module in eval mode or a torch.export ExportedProgram. Three forms are accepted:
  - `.pt2` from torch.export.save (preferred: no code runs on load),
  - a state_dict (loaded with weights_only=True) plus the class that takes it,
  - a whole pickled module from torch.save(model). Unpickling runs code from the file,
    so this form is for the user's own, trusted files only (the README says so).
"""

from __future__ import annotations

import importlib
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch

from tinyq.errors import TinyqError

FIX_HINT = ("make the module that defines it importable (PYTHONPATH), or convert with "
            "--model-class pkg.module:Class --state-dict state_dict.pt")


def import_class(spec: str) -> type:
    """'pkg.module:Class' (or 'pkg.module.Class') -> the class object."""
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise TinyqError(f"--model-class '{spec}' must look like pkg.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise TinyqError(f"--model-class: cannot import module '{module_name}' ({e})") from None
    cls = getattr(module, attr, None)
    if not isinstance(cls, type):
        raise TinyqError(f"--model-class: module '{module_name}' has no class '{attr}'")
    return cls


def load_model(path: Path, model_class: str | None = None,
               state_dict: Path | None = None) -> Any:
    path = Path(path)
    if not path.is_file():
        raise TinyqError(f"model file '{path}' not found")
    if path.suffix == ".pt2":
        return load_exported(path)
    if model_class is not None:
        return load_state_dict_model(model_class, state_dict or path)
    return load_pickled_module(path)


def load_exported(path: Path) -> Any:
    try:
        return torch.export.load(str(path))
    except Exception as e:  # torch raises many kinds for a bad archive
        raise TinyqError(f"'{path}' is not a torch.export archive (.pt2): "
                         f"{type(e).__name__}: {first_line(e)}") from None


def load_state_dict_model(model_class: str, weights: Path) -> torch.nn.Module:
    cls = import_class(model_class)
    if not Path(weights).is_file():
        raise TinyqError(f"state_dict file '{weights}' not found")
    try:
        state = torch.load(str(weights), map_location="cpu", weights_only=True)
    except Exception as e:
        raise TinyqError(f"'{weights}' is not a state_dict loadable with weights_only=True: "
                         f"{first_line(e)}") from None
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    if not isinstance(state, dict):
        raise TinyqError(f"'{weights}' holds a {type(state).__name__}, not a state_dict")
    try:
        model = cls()
    except TypeError as e:
        raise TinyqError(f"--model-class {model_class}: cannot construct it without "
                         f"arguments ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise TinyqError(f"'{weights}' does not fit {model_class}: {first_line(e)}") from None
    return model.eval()


def load_pickled_module(path: Path) -> torch.nn.Module:
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=False)
    except (ModuleNotFoundError, AttributeError) as e:
        missing = getattr(e, "name", None) or first_line(e)
        raise TinyqError(f"cannot unpickle '{path}': the model class is not importable "
                         f"({missing}); {FIX_HINT}") from None
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError,
            ValueError, UnicodeDecodeError) as e:
        raise TinyqError(f"'{path}' is not a PyTorch model file: {first_line(e)}") from None
    if isinstance(obj, dict):
        raise TinyqError(f"'{path}' holds a state_dict, not a model; convert with "
                         "--model-class pkg.module:Class (and --state-dict)")
    if not isinstance(obj, torch.nn.Module):
        raise TinyqError(f"'{path}' holds a {type(obj).__name__}, not an nn.Module")
    return obj.eval()


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def ensure_cwd_importable() -> None:
    """Pickled models from the user's own scripts refer to modules beside them."""
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
