"""Accuracy and error figures of an integer model against its float reference."""

from __future__ import annotations

import numpy as np


def top1(scores: np.ndarray) -> np.ndarray:
    return scores.reshape(scores.shape[0], -1).argmax(axis=1)


def sqnr_db(reference: np.ndarray, approx: np.ndarray) -> float:
    """10 log10(signal power / error power); inf when the two are equal."""
    ref = reference.astype(np.float64).ravel()
    err = ref - approx.astype(np.float64).ravel()
    noise = float(np.sum(err * err))
    if noise == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(float(np.sum(ref * ref)) / noise))
