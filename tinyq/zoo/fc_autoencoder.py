"""Fully connected autoencoder for anomaly detection (the MLPerf Tiny AD architecture).

Input (1, 640): five stacked log-mel frames. 640 -> 4 x 128 -> 8 -> 4 x 128 -> 640, each
hidden layer Linear + BatchNorm1d + ReLU, the last one plain.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def dense(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Linear(cin, cout), nn.BatchNorm1d(cout), nn.ReLU()]


class FCAutoencoder(nn.Module):
    def __init__(self, features: int = 640, hidden: int = 128, bottleneck: int = 8) -> None:
        super().__init__()
        layers = dense(features, hidden)
        for _ in range(3):
            layers += dense(hidden, hidden)
        layers += dense(hidden, bottleneck) + dense(bottleneck, hidden)
        for _ in range(3):
            layers += dense(hidden, hidden)
        layers.append(nn.Linear(hidden, features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
