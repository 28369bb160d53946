"""The exceptions that mean "bad input" (exit 2, one line) rather than a bug."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input detected on the interface side (options, paths)."""

    @staticmethod
    def text(exc: BaseException) -> str:
        from core.errors import one_line

        return one_line(exc)


def user_errors() -> tuple[type[BaseException], ...]:
    from core.checkpoint import CheckpointError
    from core.config import ConfigError
    from core.datasets import DatasetError
    from core.runs import RunError

    return (UserError, ConfigError, DatasetError, CheckpointError, RunError)
