"""cffi declarations read straight from runtime_c/include/tinyq.h (so they cannot drift):
comments, preprocessor lines (with their continuations), the extern "C" guard and
`restrict` are stripped."""

from __future__ import annotations

import re
from pathlib import Path


def header_cdef(header: Path) -> str:
    text = header.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"\\\n", " ", text)  # a macro continued over lines is one line
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines)
    text = text.replace('extern "C" {', "")
    text = re.sub(r"\brestrict\b", "", text)
    # the closing brace of the extern "C" block is the only lone "}" at column 0
    return re.sub(r"^}\s*$", "", text, flags=re.M)
