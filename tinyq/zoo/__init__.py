"""Reference models for tests and benchmarks: the MLPerf Tiny architectures, a
MobileNetV2-style net, and the bundled digits example.

`build(name, seed)` gives the model in eval mode with seeded random weights and random,
non-trivial BatchNorm statistics (so folding is really exercised); `example_input`
a seeded batch of the right shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn

from tinyq.zoo.digits import DigitsCNN
from tinyq.zoo.ds_cnn import DSCNN
from tinyq.zoo.fc_autoencoder import FCAutoencoder
from tinyq.zoo.mobilenet_v1 import MobileNetV1
from tinyq.zoo.mobilenet_v2 import MobileNetV2
from tinyq.zoo.resnet8 import ResNet8


@dataclass(frozen=True)
class ZooModel:
    name: str
    input_shape: tuple[int, ...]
    build: Callable[[], nn.Module]
    description: str


ZOO: dict[str, ZooModel] = {m.name: m for m in [
    ZooModel("ds_cnn", (1, 1, 49, 10), DSCNN, "MLPerf Tiny KWS DS-CNN (small), 12 words"),
    ZooModel("mobilenet_v1_vww", (1, 3, 96, 96), MobileNetV1,
             "MLPerf Tiny VWW MobileNetV1 0.25, 2 classes"),
    ZooModel("resnet8", (1, 3, 32, 32), ResNet8, "MLPerf Tiny IC ResNet-8, CIFAR-10"),
    ZooModel("fc_autoencoder", (1, 640), FCAutoencoder, "MLPerf Tiny AD autoencoder, 640"),
    ZooModel("mobilenet_v2", (1, 3, 96, 96), MobileNetV2, "MobileNetV2-style 0.35, 96x96"),
    ZooModel("digits_cnn", (1, 1, 16, 16), DigitsCNN, "the bundled digits example"),
]}


def build(name: str, seed: int = 0) -> nn.Module:
    if name not in ZOO:
        raise ValueError(f"unknown zoo model '{name}'; known: {', '.join(sorted(ZOO))}")
    torch.manual_seed(seed)
    model = ZOO[name].build()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
                m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=gen))
                m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)
    return model.eval()


def example_input(name: str, batch: int = 1, seed: int = 0) -> torch.Tensor:
    shape = (batch, *ZOO[name].input_shape[1:])
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))
