"""Reading the user's arrays (.npy / .npz): calibration data, test inputs, labels.

Every problem is a TinyqError naming the file and the option it came from. Pickled
object arrays are refused (allow_pickle=False): loading them would run code.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError

NPZ_KEYS = ("x", "data", "calib", "inputs", "y", "labels")


def load_array(path: Path, option: str) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise TinyqError(f"{option}: file '{path}' not found")
    try:
        loaded = np.load(str(path), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise TinyqError(f"{option}: '{path}' is not a .npy / .npz array file ({e})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            keys = list(loaded.keys())
            pick = [k for k in NPZ_KEYS if k in keys] or keys
            if len(keys) != 1 and not [k for k in NPZ_KEYS if k in keys]:
                raise TinyqError(f"{option}: '{path}' holds arrays {keys}; name the one to "
                                 f"use one of {', '.join(NPZ_KEYS)}")
            return loaded[pick[0]]
    return loaded


def load_float_batch(path: Path, option: str, sample_shape: tuple[int, ...] | None
                     ) -> np.ndarray:
    """A float batch N x (sample shape); the shape is checked when known."""
    x = load_array(path, option)
    if x.dtype.kind not in "fiu" or x.dtype == np.bool_:
        raise TinyqError(f"{option}: '{path}' has dtype {x.dtype}; expected float32 data")
    if x.ndim < 2 or x.shape[0] == 0:
        raise TinyqError(f"{option}: '{path}' has shape {x.shape}; expected a batch "
                         "N x C x H x W (or N x features) with N >= 1")
    if sample_shape is not None and tuple(x.shape[1:]) != tuple(sample_shape):
        raise TinyqError(f"{option}: '{path}' has samples of shape {tuple(x.shape[1:])} but "
                         f"the model takes {tuple(sample_shape)}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise TinyqError(f"{option}: '{path}' contains NaN or Inf")
    return x


def load_labels(path: Path, n: int) -> np.ndarray:
    y = load_array(path, "--labels")
    if y.dtype.kind not in "iu" or y.ndim != 1 or y.shape[0] != n:
        raise TinyqError(f"--labels: '{path}' must be {n} integer class labels, got "
                         f"{y.dtype} {y.shape}")
    return y.astype(np.int64)


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in re.split(r"[,x]", text.strip()))
    except ValueError:
        raise TinyqError(f"--input-shape '{text}' must be integers like 1,3,32,32") from None
    if not dims or min(dims) < 1:
        raise TinyqError(f"--input-shape '{text}' must be positive integers like 1,3,32,32")
    return dims
