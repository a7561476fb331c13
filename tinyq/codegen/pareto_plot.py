"""pareto.png: the mixed-precision trade-off of a `--weights mixed` conversion.

x: weight flash of each Pareto point (the ILP solved at evenly spaced flash budgets);
left axis: the proxy (sum of the chosen layers' HAWQ-V3 perturbations, log scale);
right axis: the output SQNR measured by the integer simulator on the calibration samples.
The chosen configuration is circled and the budget dashed. Agg backend and no metadata,
so converting twice gives identical files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_pareto_plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixed = report["mixed"]
    points = mixed["pareto"]
    xs = [p["flash_bytes"] for p in points]
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=100)
    ax.plot(xs, [max(p["proxy"], 1e-12) for p in points], "o-", color="#4a7fb5",
            label="proxy (sum of Omega)")
    ax.set_yscale("log")
    ax.set_xlabel("weight flash (B)")
    ax.set_ylabel("proxy (log)", color="#4a7fb5")
    ax.axvline(mixed["flash_budget_bytes"], color="black", linestyle="--", linewidth=1,
               label=f"budget {mixed['flash_budget_bytes']:,} B")
    ax.plot([mixed["flash_bytes"]], [max(mixed["proxy"], 1e-12)], "o", markersize=12,
            markerfacecolor="none", markeredgecolor="#d1603d", label="chosen")
    right = ax.twinx()
    sqnr = [(x, p["sqnr_db"]) for x, p in zip(xs, points) if p["sqnr_db"] is not None]
    right.plot([x for x, _ in sqnr], [s for _, s in sqnr], "s--", color="#3d9a50",
               label="output SQNR (dB)")
    right.set_ylabel("output SQNR on calibration (dB)", color="#3d9a50")
    handles = ax.get_legend_handles_labels()
    extra = right.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="center right", fontsize=8)
    ax.set_title(f"{report['name']}: mixed int4/int8 weights, flash vs error")
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
