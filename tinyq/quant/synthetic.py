"""Data-free calibration (`--calib synthetic`): ZeroQ (Cai et al., CVPR 2020).

Takes the model as loaded (before capture: the IR folds BatchNorm away) and its input
shape; gives a float calibration batch (PyTorch layout) synthesised so that the model's
BatchNorm layers see the statistics they were trained with.

  1. x ~ N(0, 1): SAMPLES inputs of the model's shape, from a seeded generator.
  2. Run the model on x; at every BatchNorm layer l with C channels take the batch mean
     mu_l and standard deviation sigma_l of its input per channel (over samples and
     positions; frontend/bn_stats.py).
  3. loss = sum_l ||mu_l - running_mean_l||_2 + ||sigma_l - sqrt(running_var_l)||_2.
  4. Adam on x (the model is untouched), learning rate LR decayed by a cosine to 0 over
     STEPS steps; the x with the lowest loss seen is kept.
The result only imitates the training data where BatchNorm statistics constrain it, so
ranges calibrated on it can be off: the report and the CLI say to check accuracy on
real data. CPU, one thread; measured on a shared, busy 2-core host: 12-18 s on digits
(16 x 16), 38 s on digits_jitter (32 x 32), 5 s (FC autoencoder) to 6 minutes
(MobileNetV2 96 x 96) on the zoo models: the cost is STEPS forward and backward passes of
SAMPLES inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.frontend.bn_stats import BNProbe, bn_probe
from tinyq.quant.threads import one_thread

SYNTHETIC = "synthetic"
SAMPLES = 64
STEPS = 300
LR = 0.1
STD_EPS = 1e-8  # keeps the gradient of sqrt finite at a zero variance


@dataclass
class Synthesis:
    x: np.ndarray  # SAMPLES x sample shape, float32
    bn_layers: int
    steps: int
    loss_start: float
    loss: float

    def summary(self) -> dict[str, Any]:
        return {"samples": int(self.x.shape[0]), "bn_layers": self.bn_layers,
                "steps": self.steps, "bn_loss_start": round(self.loss_start, 6),
                "bn_loss": round(self.loss, 6)}


def bn_loss(probe: BNProbe, x: torch.Tensor) -> torch.Tensor:
    loss = x.new_zeros(())
    for layer, (mean, sq_mean) in zip(probe.layers, probe(x)):
        mu = mean.mean(0)
        var = torch.clamp(sq_mean.mean(0) - mu * mu, min=0.0)
        sigma = torch.sqrt(var + STD_EPS)
        loss = loss + torch.linalg.vector_norm(mu - layer.running_mean)
        loss = loss + torch.linalg.vector_norm(sigma - torch.sqrt(layer.running_var))
    return loss


def synthesize(model: Any, shape: tuple[int, ...], origin: str, samples: int = SAMPLES,
               steps: int = STEPS, seed: int = 0) -> Synthesis:
    """shape: the model's input shape with batch 1; origin names the model in errors."""
    with one_thread():
        return optimise_inputs(model, shape, origin, samples, steps, seed)


def optimise_inputs(model: Any, shape: tuple[int, ...], origin: str, samples: int,
                    steps: int, seed: int) -> Synthesis:
    probe = bn_probe(model, tuple(shape[1:]))
    if not probe.layers:
        raise TinyqError(f"--calib synthetic: '{origin}' has no BatchNorm layer; data-free "
                         "calibration synthesises inputs that match the statistics "
                         "BatchNorm layers keep, so it needs them. Give real calibration "
                         "samples with --calib FILE.npy")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((samples, *shape[1:]), generator=gen).requires_grad_()
    opt = torch.optim.Adam([x], lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    best, best_loss, first = x.detach().clone(), math.inf, math.nan
    for step in range(steps + 1):  # the last round only scores the final step
        loss = bn_loss(probe, x)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TinyqError(f"--calib synthetic: the BatchNorm statistics of '{origin}' "
                             "gave a non-finite loss; check the model's running_var / "
                             "running_mean for NaN, or give real data with --calib FILE.npy")
        first = value if step == 0 else first
        if value < best_loss:
            best, best_loss = x.detach().clone(), value
        if step == steps:
            break
        (x.grad,) = torch.autograd.grad(loss, [x])
        opt.step()
        sched.step()
    return Synthesis(best.numpy().astype(np.float32), len(probe.layers), steps, first,
                     best_loss)
