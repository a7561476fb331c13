"""MobileNetV1, width 0.25, for Visual Wake Words (the MLPerf Tiny VWW architecture).

Input (1, 3, 96, 96), 2 classes: a 3x3 stride-2 convolution to 8 channels, 13
depthwise-separable blocks with the paper's strides, global average pool, Linear.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from tinyq.zoo.ds_cnn import conv_bn_relu

# (output channels at width 1.0, stride) of the 13 depthwise-separable blocks
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
          (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    def __init__(self, classes: int = 2, alpha: float = 0.25) -> None:
        super().__init__()
        c = int(32 * alpha)
        layers: list[nn.Module] = conv_bn_relu(3, c, 3, stride=2, padding=1)
        for out, stride in BLOCKS:
            cout = int(out * alpha)
            layers += conv_bn_relu(c, c, 3, stride=stride, padding=1, groups=c)
            layers += conv_bn_relu(c, cout, 1)
            c = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))
