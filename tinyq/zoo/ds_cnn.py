"""DS-CNN (small) for keyword spotting, the MLPerf Tiny KWS architecture.

Input (1, 1, 49, 10): 49 frames x 10 MFCCs. ZeroPad2d((1, 1, 4, 5)) before the 10x4
stride-2 convolution reproduces TensorFlow's 'same' padding exactly (25 x 5 output).
"""

from __future__ import annotations

import torch
import torch.nn as nn


def conv_bn_relu(cin: int, cout: int, k: int | tuple[int, int], stride: int = 1,
                 padding: int = 0, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


class DSCNN(nn.Module):
    def __init__(self, classes: int = 12, width: int = 64, blocks: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ZeroPad2d((1, 1, 4, 5)),
                                   *conv_bn_relu(1, width, (10, 4), stride=2)]
        for _ in range(blocks):
            layers += conv_bn_relu(width, width, 3, padding=1, groups=width)
            layers += conv_bn_relu(width, width, 1)
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.dropout(self.features(x)))
        return self.classifier(torch.flatten(x, 1))
