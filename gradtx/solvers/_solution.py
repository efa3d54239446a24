"""The record a run loop returns: where it stopped, why, and what it cost."""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import jax
import numpy as np


class Reason(enum.IntEnum):
    """Why a run loop stopped; ``Solution.reason`` holds one of these as an int32 array."""

    CONVERGED = 0
    """The stopping test (gradient norm, or relative decrease) was met."""
    MAX_STEPS = 1
    """``max_steps`` steps were taken without meeting the stopping test."""
    LINESEARCH_FAILED = 2
    """The line search (or damping) found no step that decreases the objective."""
    NONFINITE = 3
    """The objective or gradient became NaN or infinite; the last finite params are kept."""


class Solution(NamedTuple):
    """The result of ``minimize`` or ``least_squares``; a pytree, so it passes through jit and vmap.

    Attributes:
      params: the last finite params reached (the solution when ``converged``).
      value: the objective there (for ``least_squares``, ``0.5 * ||r||^2``).
      grad_norm: the Euclidean norm of the gradient there.
      num_steps: accepted steps taken.
      num_fun_evals: objective evaluations, line-search trials included.
      num_grad_evals: gradient evaluations (a value-and-gradient call counts one of each).
      converged: a bool array, True when the stopping test was met.
      reason: an int32 ``Reason`` code; ``reason_name`` gives its name.
      state: the optimizer's state at the end (None for ``least_squares``).
      aux: ``fun``'s auxiliary output at ``params`` when ``has_aux=True``, else None.
      history: with ``history=True``, a dict of per-step arrays of length
        ``max_steps + 1`` (``"value"``, ``"grad_norm"``; entry k is after step k,
        NaN past the last step), else None.
    """

    params: Any
    value: jax.Array
    grad_norm: jax.Array
    num_steps: jax.Array
    num_fun_evals: jax.Array
    num_grad_evals: jax.Array
    converged: jax.Array
    reason: jax.Array
    state: Any = None
    aux: Any = None
    history: dict | None = None

    @property
    def reason_name(self) -> str | list:
        """``reason`` as a ``Reason`` name (a nested list of names for a batch of solutions)."""
        codes = np.asarray(self.reason)
        if codes.ndim == 0:
            return Reason(int(codes)).name
        return np.vectorize(lambda c: Reason(int(c)).name, otypes=[object])(codes).tolist()
