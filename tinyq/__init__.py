"""tinyq: trained PyTorch models -> integer-only int8 C for microcontrollers."""

__version__ = "0.1.0"


def convert(*args, **kwargs):  # noqa: ANN002, ANN003 - thin re-export, see tinyq.api
    from tinyq.api import convert as _convert

    return _convert(*args, **kwargs)


def open_project(path):  # noqa: ANN001
    """An existing converted project directory as a tinyq.project.Project."""
    from tinyq.project import Project

    return Project(path)
