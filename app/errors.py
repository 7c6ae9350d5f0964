"""The application's own failures; the CLI turns each into one line and an exit status
(app/cli/base.py)."""

from __future__ import annotations


class IntegrationError(RuntimeError):
    """A front end cannot start or go on (a rejected token, a package not installed);
    the message says what to fix and never holds a secret."""

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(problem)
        self.service = service


class SidecarError(RuntimeError):
    """The side server could not start (e.g. its port is taken)."""
