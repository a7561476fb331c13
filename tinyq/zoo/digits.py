"""DigitsCNN, the bundled example (examples/digits): 16 x 16 upsampled sklearn digits.

conv-bn-relu, a depthwise-separable block, a residual block, global average pool and a
Linear: small, but it exercises every structure tinyq's foundation handles. It lives in
the package so a `torch.save(model)` pickle of it loads by class path.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class DigitsCNN(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU())
        self.separable = nn.Sequential(
            nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16, bias=False),
            nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.res1 = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(32), nn.ReLU())
        self.res2 = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(32))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.separable(self.stem(x))
        x = torch.relu(x + self.res2(self.res1(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))
