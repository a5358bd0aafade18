"""Option types shared by several commands."""
from __future__ import annotations

import click

from apkscan.model import RISK_LEVELS

FAIL_ON = click.Choice(["none", "low", "medium", "high", "critical"], case_sensitive=False)


def reaches(level: str, threshold: str) -> bool:
    """Does a risk level reach the --fail-on threshold? 'none' as threshold never fails."""
    if threshold == "none":
        return False
    return RISK_LEVELS.index(level) >= RISK_LEVELS.index(threshold)
