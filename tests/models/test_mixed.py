"""Mixed int4 / int8 weights (`--weights mixed`): the ILP against brute force, composed
graphs equal to direct quantization, the digits example at 60 % of its int8 weight flash
(budget held to the byte in the generated C, host C bit-exact with the simulator, within
1 point of float, report + pareto.png), latency budgets from the cost table, and every
bad option a user can give."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.models.test_bad_input import assert_clean_failure
from tinyq.errors import TinyqError
from tinyq.frontend.load import load_model
from tinyq.pipeline import ConvertOptions, convert_model, float_graph
from tinyq.project import Project
from tinyq.quant.bit_variants import quantize_variants
from tinyq.quant.calibrate import calibrate, channel_means
from tinyq.quant.latency import load_costs
from tinyq.quant.mixed import LayerCost, Problem, parse_flash_budget, solve
from tinyq.quant.ptq import quantize
from tinyq.quant.sensitivity import (SAMPLES, LayerSensitivity, hessian_traces, one_thread,
                                     trace_method)
from tinyq.sim.layout import to_ir_layout
from tinyq.targets import load_target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
CTYPE_BYTES = {"int8_t": 1, "int32_t": 4, "int16_t": 2, "uint8_t": 1}
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="cross toolchains missing: scripts/install_toolchains.sh")


@pytest.fixture(scope="module")
def mixed60(tmp_path_factory) -> Project:
    out = tmp_path_factory.mktemp("mixed") / "digits60"
    # Whole tensors: the report's layers keep the names the search gave (patches copy).
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy", weights="mixed",
                                 flash_budget="60%", patch="off"))
    return Project(out)


def declared_weight_bytes(project: Project) -> int:
    """Bytes of every const array model_weights.h declares: the project's weight flash."""
    text = (project.path / "model_weights.h").read_text()
    found = re.findall(r"extern const (\w+) \w+\[(\d+)\];", text)
    assert found
    return sum(CTYPE_BYTES[ctype] * int(n) for ctype, n in found)


def test_budget_holds_to_the_byte_in_the_generated_c(mixed60):
    m = mixed60.report["mixed"]
    assert m["flash_budget_bytes"] == int(0.6 * m["int8_flash_bytes"])
    on_flash = declared_weight_bytes(mixed60)
    assert on_flash == mixed60.report["weight_bytes"] == m["flash_bytes"]
    assert on_flash <= m["flash_budget_bytes"]
    assert m["int4_flash_bytes"] <= on_flash < m["int8_flash_bytes"]
    bits = {layer["name"]: layer["bits"] for layer in mixed60.report["layers"]}
    assert {layer["name"]: layer["bits"] for layer in m["layers"]}.items() <= bits.items()
    assert set(bits.values()) == {4, 8}  # a real mix at 60 %


def test_mixed_digits_bit_exact_and_within_a_point_of_float(mixed60):
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    result = mixed60.test(x, y)
    assert result.bit_exact, result.first_mismatch
    assert result.int_top1 >= result.float_top1 - 0.01


def test_report_sensitivities_and_pareto(mixed60):
    m = mixed60.report["mixed"]
    assert all(layer["hessian_trace"] > 0 and layer["omega"]["4"] > layer["omega"]["8"]
               for layer in m["layers"])
    assert all(layer["int4_alone_sqnr_db"] > 0 for layer in m["layers"])
    curve = m["pareto"]
    assert curve[0]["flash_bytes"] == m["int4_flash_bytes"]
    assert curve[-1]["flash_bytes"] == m["int8_flash_bytes"] and not curve[-1]["int4_layers"]
    for p, q in zip(curve, curve[1:]):
        assert p["flash_bytes"] <= p["budget_bytes"]
        assert p["budget_bytes"] < q["budget_bytes"] and p["proxy"] >= q["proxy"]
    chosen = next(p for p in curve if p["budget_bytes"] == m["flash_budget_bytes"])
    assert chosen["flash_bytes"] == m["flash_bytes"] and chosen["proxy"] == m["proxy"]
    png = (mixed60.path / "pareto.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    md = (mixed60.path / "report.md").read_text()
    assert "## Mixed precision" in md and "Pareto curve" in md


def layer(name: str, f4: int, f8: int, o4: float, o8: float, i4: int = 0, i8: int = 0,
          pinned: int | None = None) -> tuple[LayerCost, LayerSensitivity]:
    cost = LayerCost(name, name, "conv2d", {4: f4, 8: f8}, {4: i4, 8: i8}, pinned)
    trace_over_n = 1.0
    sens = LayerSensitivity(name, name, "conv2d", 1, trace_over_n, {4: o4, 8: o8}, 0.0, 0.0)
    return cost, sens


def random_problem(rng: np.random.Generator, n: int) -> Problem:
    parts = []
    for i in range(n):
        f8 = int(rng.integers(50, 2000))
        pin = [None, None, None, 4, 8][int(rng.integers(0, 5))]
        parts.append(layer(f"l{i}", (f8 + 1) // 2 + 30, f8 + 30, float(rng.random()),
                           float(rng.random()) * 0.01, int(rng.integers(100, 900)),
                           int(rng.integers(50, 400)), pin))
    return Problem([c for c, _ in parts], 17, 1000, {s.name: s for _, s in parts})


def test_ilp_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(30):
        problem = random_problem(rng, int(rng.integers(2, 8)))
        names = [c.name for c in problem.layers]
        budget = int(rng.integers(problem.flash(problem.uniform(4)) - 50,
                                  problem.flash(problem.uniform(8)) + 1))
        latency = int(rng.integers(problem.instructions(problem.uniform(8)),
                                   problem.instructions(problem.uniform(4)) + 1))
        best = None
        for combo in itertools.product((4, 8), repeat=len(names)):
            bits = dict(zip(names, combo))
            if any(c.pinned and bits[c.name] != c.pinned for c in problem.layers):
                continue
            if problem.flash(bits) <= budget and problem.instructions(bits) <= latency:
                best = min(best or np.inf, problem.proxy(bits))
        got = solve(problem, budget, latency)
        if best is None:
            assert got is None
        else:
            assert got is not None and problem.flash(got) <= budget
            assert problem.instructions(got) <= latency
            assert problem.proxy(got) == pytest.approx(best, rel=1e-9, abs=1e-12)


def test_composed_graph_equals_direct_quantization():
    model = load_model(EXAMPLE / "digits_cnn.pt")
    calib = np.load(EXAMPLE / "calib.npy")
    graph = float_graph(model, calib, (1, *calib.shape[1:]))
    ranges = calibrate(graph, calib)
    variants = quantize_variants(graph, ranges, calib)
    bits = {name: 4 if i % 2 else 8 for i, name in enumerate(variants.layers)}
    composed = variants.compose(bits)
    inputs = {n.inputs[0] for n in graph.nodes if bits.get(n.name) == 4}
    direct = quantize(graph, ranges, bits, "mse", channel_means(graph, calib, inputs))
    for a, b in zip(composed.nodes, direct.nodes):
        assert a.qattrs.keys() == b.qattrs.keys(), a.name
        for key in a.qattrs:
            assert np.array_equal(np.asarray(a.qattrs[key]), np.asarray(b.qattrs[key])), key


@pytest.mark.parametrize("text, want", [("60%", 600), ("0.6", 600), ("1", 1000),
                                        ("777", 777), ("12.5%", 125)])
def test_parse_flash_budget(text, want):
    assert parse_flash_budget(text, 1000) == want


def test_infeasible_budget_names_the_smallest(tmp_path):
    with pytest.raises(TinyqError, match=r"below the smallest weight flash achievable, "
                                         r"11,343 B \(every layer int4\)"):
        convert_model(EXAMPLE / "digits_cnn.pt", tmp_path / "out",
                      ConvertOptions(calib=EXAMPLE / "calib.npy", weights="mixed",
                                     flash_budget="40%"))
    assert not (tmp_path / "out").exists()


def test_latency_budget_from_cost_table(cli, tiny_files):
    """The tiny net for qemu-m4: a budget between all-int8 and all-int4 instructions is
    met by the estimate; one below all-int8 fails naming the fastest achievable."""
    costs = load_costs(load_target("qemu-m4"))
    assert set(costs.weighted["conv2d"]) == {4, 8}  # measured per width
    assert load_costs(load_target("stm32f446")).target == "qemu-m4"  # same core and ISA
    out = tiny_files["dir"] / "out"
    args = ["convert", tiny_files["model"], "--calib", tiny_files["calib"], "--target",
            "qemu-m4", "--weights", "mixed", "--flash-budget", "100%"]
    r = cli(*args, "--latency-budget", 1, "-o", out)
    assert_clean_failure(r, out, "--latency-budget 1 instructions cannot be met",
                         "fastest choice takes")
    r = cli(*args, "--latency-budget", 10**9, "-o", out)
    assert r.exit_code == 0, r.output
    m = json.loads((out / "report.json").read_text())["mixed"]
    assert m["instructions_estimate"] <= 10**9
    assert all(layer["instructions"]["4"] > 0 and layer["instructions"]["8"] > 0
               for layer in m["layers"])


@pytest.mark.parametrize("extra, needles", [
    (["--weights", "mixed"], ["--weights mixed needs --flash-budget"]),
    (["--flash-budget", "60%"], ["--flash-budget applies to --weights mixed only"]),
    (["--weights", "int4", "--latency-budget", "100"],
     ["--latency-budget applies to --weights mixed only"]),
    (["--weights", "mixed", "--flash-budget", "lots"], ["--flash-budget 'lots'", "60%"]),
    (["--weights", "mixed", "--flash-budget", "1.5"], ["--flash-budget '1.5'", "whole"]),
    (["--weights", "mixed", "--flash-budget", "0.6", "--latency-budget", "1000"],
     ["no kernel cost table for target 'host'", "kernel_costs.py"]),
    (["--weights", "mixed", "--flash-budget", "0.6", "--latency-budget", "0"],
     ["--latency-budget 0", "positive"]),
    (["--weights", "mixed", "--flash-budget", "0.6", "--optimize-rounding"],
     ["--optimize-rounding does not combine with --weights mixed"]),
])
def test_bad_mixed_options(cli, tiny_files, extra, needles):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out, *extra)
    assert_clean_failure(r, out, *needles)


def test_config_pins_a_layer(cli, tiny_files):
    config = tiny_files["dir"] / "bits.json"
    config.write_text(json.dumps({"fc": "int4"}))
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--weights", "mixed", "--flash-budget", "100%", "--weights-config", config)
    assert r.exit_code == 0, r.output
    assert "mixed precision:" in r.output
    layers = {layer["op"]: layer for layer in Project(out).report["mixed"]["layers"]}
    assert layers["linear"]["bits"] == 4 and layers["linear"]["pinned"] == 4
    assert layers["conv2d"]["bits"] == 8  # the whole budget: the free layer stays int8


@pytest.mark.slow
@needs_arm
def test_latency_estimate_close_to_qemu_count(tmp_path):
    """The chosen mix under a latency budget, as firmware: bit-exact, and the measured
    instructions within 10 % of the cost table's estimate."""
    out = tmp_path / "lat"
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy", weights="mixed",
                                 flash_budget="80%", latency_budget=8_000_000,
                                 target="qemu-m4"))
    project = Project(out)
    run = project.run_target("qemu-m4", project.quantize_input(np.load(EXAMPLE /
                                                                       "test_x.npy")[:2]))
    assert run.bit_exact
    estimate = project.report["mixed"]["instructions_estimate"]
    assert estimate <= 8_000_000
    assert abs(run.instructions()[0] - estimate) <= 0.10 * estimate


def test_both_hutchinson_forms_agree_on_digits():
    """Per-layer Hessian-vector products and the one-pass Gauss-Newton form estimate the
    same traces (H = J^T J exactly at the float weights)."""
    model = load_model(EXAMPLE / "digits_cnn.pt")
    calib = np.load(EXAMPLE / "calib.npy")
    graph = float_graph(model, calib, (1, *calib.shape[1:]))
    x = to_ir_layout(calib[:SAMPLES])
    with one_thread():
        hvp = hessian_traces(graph, x, 32, 0, "hvp")
        gn = hessian_traces(graph, x, 32, 1, "gauss-newton")
    assert hvp.keys() == gn.keys() and len(hvp) == 6
    for name in hvp:
        assert gn[name] == pytest.approx(hvp[name], rel=0.25), name
    assert trace_method(6) == "hvp" and trace_method(28) == "gauss-newton"


def test_mixed_conversion_is_byte_identical_twice(cli, tiny_files, tmp_path):
    """Seeded probes, a deterministic solver, a plot without metadata: same bytes."""
    trees = []
    for name in ("a", "b"):
        out = tmp_path / name
        r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
                "--weights", "mixed", "--flash-budget", "280")  # of 295 B int8
        assert r.exit_code == 0, r.output
        trees.append({str(p.relative_to(out)): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file()})
    assert "pareto.png" in trees[0] and "report.json" in trees[0]
    assert trees[0] == trees[1]
