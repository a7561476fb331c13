"""memory.png: the arena over the layers of a converted model (issue: memory timeline).

Bars: bytes of the buffers alive while each layer runs; line: the highest arena byte in
use; dashed: the arena size. Written with matplotlib's Agg backend and no timestamp or
version metadata, so converting twice gives identical files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_memory_plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = report["memory_timeline"]
    xs = [s["layer"] for s in steps]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.18 * len(xs) + 3), 3.6), dpi=100)
    ax.bar(xs, [s["live_bytes"] / 1024 for s in steps], color="#4a7fb5", label="live buffers")
    ax.step(xs, [s["high_water_bytes"] / 1024 for s in steps], where="mid", color="#d1603d",
            label="highest arena byte in use")
    ax.axhline(report["arena_bytes"] / 1024, color="black", linestyle="--", linewidth=1,
               label=f"arena {report['arena_bytes']:,} B")
    ax.set_xlabel("layer")
    ax.set_ylabel("KiB")
    ax.set_title(f"{report['name']}: arena over the layers "
                 f"(lower bound {report['arena_lower_bound_bytes']:,} B)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
