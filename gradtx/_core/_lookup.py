"""Find one transformation's state inside a larger optimizer state (a chain, a wrapper)."""

from __future__ import annotations

from typing import Any

import jax


def find_unique_state(fn: str, opt_state: Any, cls: type) -> Any:
    """The one ``cls`` instance found anywhere in ``opt_state``.

    ``fn`` names the public reader for the error message (``"swa_averaged_params"``).

    Raises:
        ValueError: ``opt_state`` holds no ``cls``, or more than one.
    """
    found = [
        s
        for s in jax.tree.leaves(opt_state, is_leaf=lambda x: isinstance(x, cls))
        if isinstance(s, cls)
    ]
    if len(found) != 1:
        raise ValueError(
            f"gradtx.{fn}: opt_state must hold exactly one {cls.__name__}; found {len(found)}."
        )
    return found[0]
