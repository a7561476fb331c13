"""One exception type for every failure a user can cause.

The CLI prints `TinyqError` messages as one line and exits non-zero; anything else that
escapes is a bug in tinyq and keeps its traceback.
"""


class TinyqError(Exception):
    """A user-facing error: the message names the file, node or option at fault."""
