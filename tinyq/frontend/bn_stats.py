"""The statistics a model's BatchNorm layers hold, and what its inputs make of them.

Takes the model as loaded (nn.Module or ExportedProgram): the IR folds BatchNorm into the
convolutions, so the running statistics must be read before capture. Gives a `BNProbe`:
its `layers` are every BatchNorm with running statistics (name, running mean, running
variance), and calling it on a float batch (N x sample shape, PyTorch layout) gives, per
layer, the per-sample channel means of the layer's input and of its square, (N, C) each,
differentiable with respect to the batch (data-free calibration optimises the batch).

An nn.Module is observed with forward pre-hooks on its BatchNorm modules; an
ExportedProgram's module by a torch.fx Interpreter that records the inputs of its
batch_norm nodes. Both run each sample as a batch of one under torch.func.vmap: exported
programs are specialised (and guarded) to batch 1, and some models hard-code it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.fx
from torch.func import vmap

from tinyq.errors import TinyqError
from tinyq.frontend.load import first_line

# ATen overloads that apply BatchNorm with running statistics; in every one the input is
# argument 0 and the running mean / variance arguments 3 / 4.
BN_TARGETS = ("aten.batch_norm.default", "aten._native_batch_norm_legit_no_training.default",
              "aten.native_batch_norm.default")

Recorded = list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor]]  # name, x, mean, var


@dataclass(frozen=True)
class BNLayer:
    name: str
    running_mean: torch.Tensor
    running_var: torch.Tensor


class BNProbe:
    """`layers` from one batch-of-one run at construction; called, the statistics."""

    def __init__(self, run: Callable[[torch.Tensor], Recorded], sample: torch.Tensor) -> None:
        self.run = run
        try:
            with torch.no_grad():
                seen = run(sample.unsqueeze(0))
        except Exception as e:  # the user's model code: any exception type
            raise TinyqError(f"--calib synthetic: the model does not run on an input of "
                             f"shape {(1, *sample.shape)}: {type(e).__name__}: "
                             f"{first_line(e)}") from None
        self.layers = [BNLayer(name, mean.detach().clone(), var.detach().clone())
                       for name, _, mean, var in seen]

    def __call__(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        def one(sample: torch.Tensor) -> tuple[torch.Tensor, ...]:
            stats: list[torch.Tensor] = []
            for _, value, _, _ in self.run(sample.unsqueeze(0)):
                dims = [0, *range(2, value.dim())]  # all but the channel axis
                stats += [value.mean(dims), (value * value).mean(dims)]
            return tuple(stats)

        try:
            flat = vmap(one)(x)
        except Exception as e:  # torch raises many kinds for an op vmap cannot batch
            raise TinyqError("--calib synthetic: cannot run the model on a batch of "
                             f"synthetic inputs: {type(e).__name__}: {first_line(e)}"
                             ) from None
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]


def bn_probe(model: Any, sample_shape: tuple[int, ...]) -> BNProbe:
    """A probe of `model`'s BatchNorm layers (perhaps none) for inputs of `sample_shape`."""
    if isinstance(model, torch.export.ExportedProgram):
        run = exported_runner(model)
    else:
        run = module_runner(model)
    return BNProbe(run, torch.zeros(sample_shape))


def module_runner(model: torch.nn.Module) -> Callable[[torch.Tensor], Recorded]:
    layers = [(name, m) for name, m in model.named_modules()
              if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
              and m.running_mean is not None and m.running_var is not None]

    def run(x: torch.Tensor) -> Recorded:
        seen: Recorded = []
        hooks = [m.register_forward_pre_hook(
            lambda mod, args, name=name: seen.append(
                (name, args[0], mod.running_mean, mod.running_var)))
            for name, m in layers]
        try:
            model(x)
        finally:
            for h in hooks:
                h.remove()
        return seen

    return run


class BNRecorder(torch.fx.Interpreter):
    """Runs a GraphModule node by node, noting the arguments of each batch_norm call."""

    def __init__(self, module: torch.fx.GraphModule) -> None:
        super().__init__(module)
        self.seen: Recorded = []

    def run_node(self, n: torch.fx.Node) -> Any:
        if n.op == "call_function" and str(n.target) in BN_TARGETS:
            args = self.map_nodes_to_values(n.args, n)
            if args[3] is not None and args[4] is not None:
                self.seen.append((n.name, args[0], args[3], args[4]))
        return super().run_node(n)


def exported_runner(ep: torch.export.ExportedProgram) -> Callable[[torch.Tensor], Recorded]:
    module = ep.module()

    def run(x: torch.Tensor) -> Recorded:
        recorder = BNRecorder(module)
        recorder.run(x)
        return recorder.seen

    return run
