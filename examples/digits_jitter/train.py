"""Train the harder example: scikit-learn's digits at 32 x 32 with random affine jitter
(rotation, scale, shift) and pixel noise, so the float model is well short of 100% and
quantization losses show. Same DigitsCNN as examples/digits; nothing is downloaded.

Writes, beside this file: digits_jitter.pt2 (torch.export), calib.npy (200 jittered
training images), test_x.npy / test_y.npy (the held-out 25% of the digits, stratified,
each jittered once with its own seed). Deterministic on CPU:

    python examples/digits_jitter/train.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tinyq.zoo.digits import DigitsCNN

HERE = Path(__file__).resolve().parent
SEED = 0
SIZE = 32
EPOCHS = 30
COPIES = 4  # jittered copies of each training digit per epoch


def base_images() -> tuple[torch.Tensor, np.ndarray]:
    digits = load_digits()
    x = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    # Pad before upsampling so rotated and shifted digits stay inside the frame.
    x = F.pad(x, (2, 2, 2, 2))
    return F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False), \
        digits.target.astype(np.int64)


def jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Rotation within +-25 degrees, scale 0.75..1.2, shift within +-18% of the frame,
    then Gaussian noise of sigma 0.2 (pixels stay unclipped: the noise is the task)."""
    n = x.shape[0]
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(25)
    scale = 0.75 + torch.rand(n, generator=gen) * 0.45
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * 0.36
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False)
    return out + 0.2 * torch.randn(out.shape, generator=gen)


def train(x: torch.Tensor, y: np.ndarray) -> DigitsCNN:
    torch.manual_seed(SEED)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    yt = torch.as_tensor(y)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        xs = jitter(x.repeat(COPIES, 1, 1, 1), gen)
        ys = yt.repeat(COPIES)
        for idx in torch.randperm(len(xs), generator=gen).split(64):
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return model.eval()


def main() -> None:
    torch.set_num_threads(2)
    x, y = base_images()
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.25,
                                           random_state=SEED, stratify=y)
    model = train(x[idx_train], y[idx_train])
    gen = torch.Generator().manual_seed(SEED + 1)
    x_test = jitter(x[idx_test], gen)
    calib = jitter(x[idx_train[np.random.default_rng(SEED).choice(len(idx_train), 200,
                                                                  replace=False)]], gen)
    with torch.no_grad():
        acc = (model(x_test).argmax(1).numpy() == y[idx_test]).mean()
    print(f"held-out float accuracy: {100 * acc:.2f}% on {len(idx_test)} jittered images")
    torch.export.save(torch.export.export(model, (x_test[:1],)), HERE / "digits_jitter.pt2")
    np.save(HERE / "calib.npy", calib.numpy().astype(np.float32))
    np.save(HERE / "test_x.npy", x_test.numpy().astype(np.float32))
    np.save(HERE / "test_y.npy", y[idx_test])


if __name__ == "__main__":
    main()
