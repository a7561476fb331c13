"""The zoo: every model builds deterministically, runs, and exports."""

from __future__ import annotations

import pytest
import torch

from tinyq.zoo import ZOO, build, example_input


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_builds_and_exports(name):
    model = build(name, seed=3)
    x = example_input(name)
    with torch.no_grad():
        y = model(x)
    assert y.shape[0] == 1 and torch.isfinite(y).all()
    torch.export.export(model, (x,))
    again = build(name, seed=3)
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), k


def test_unknown_name():
    with pytest.raises(ValueError, match="known"):
        build("lenet")
