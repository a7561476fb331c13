"""A MobileNetV2-style network (inverted residuals, ReLU6, width 0.35), input 3 x 96 x 96,
10 classes: the model whose large early feature maps patch-based inference targets."""

from __future__ import annotations

import torch
import torch.nn as nn

# (expansion, output channels at width 1.0, repeats, first stride), as in the paper
SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1)]


def round8(c: float) -> int:
    return max(8, int(c + 4) // 8 * 8)


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1,
            relu6: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups,
                                         bias=False), nn.BatchNorm2d(cout)]
    return layers + ([nn.ReLU6()] if relu6 else [])


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        layers = conv_bn(cin, hidden, 1) if expansion != 1 else []
        layers += conv_bn(hidden, hidden, 3, stride, groups=hidden)
        layers += conv_bn(hidden, cout, 1, relu6=False)
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    def __init__(self, classes: int = 10, alpha: float = 0.35) -> None:
        super().__init__()
        c = round8(32 * alpha)
        layers: list[nn.Module] = conv_bn(3, c, 3, 2)
        for t, out, n, s in SETTINGS:
            cout = round8(out * alpha)
            for i in range(n):
                layers.append(InvertedResidual(c, cout, s if i == 0 else 1, t))
                c = cout
        last = 1280
        layers += conv_bn(c, last, 1)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))
