"""Loggers for one run: every line names the run, and no secret value reaches a log."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any


class RunLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes messages with the run id and masks secret values, tracebacks included."""

    def __init__(self, logger: logging.Logger, run_id: int, redact: Callable[[str], str]) -> None:
        super().__init__(logger, {"run_id": run_id})
        self.run_id = run_id
        self.redact = redact

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Name the run in the message."""
        return f"run {self.run_id}: {msg}", kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Format the message, append any traceback, mask secrets, then log it."""
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            if isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            elif not isinstance(exc_info, tuple):
                exc_info = sys.exc_info()
            text += "\n" + "".join(traceback.format_exception(*exc_info)).rstrip()
        message, options = self.process(self.redact(text), kwargs)
        options.setdefault("stacklevel", 2)
        self.logger.log(level, message, **options)
