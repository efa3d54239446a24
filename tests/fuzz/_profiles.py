"""The fuzz suite's hypothesis profiles: derandomized, fixed sizes, no deadline, so that
CI runs the same examples every time."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

__all__ = ["fuzz_profile"]


def fuzz_profile(name: str, max_examples: int) -> settings:
    """Register (once) and return the fixed profile ``name`` with ``max_examples``."""
    settings.register_profile(
        name,
        derandomize=True,
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return settings.get_profile(name)
