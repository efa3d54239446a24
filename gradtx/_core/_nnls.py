"""Non-negative least squares by an accelerated projected gradient method."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike


def nnls(
    A: jax.Array,  # noqa: N803  (optax's argument names)
    b: jax.Array,
    iters: int,
    unroll: int | bool = 1,
    L: ArrayLike | None = None,  # noqa: N803
) -> jax.Array:
    """Minimise ``||A x - b||_2`` subject to ``x >= 0`` by fast projected gradient steps.

    Nesterov-accelerated projected gradient descent on ``0.5 ||A x - b||^2``,
    run for a fixed number of iterations inside ``lax.scan`` (so it is
    differentiable and jit-friendly, with no convergence test).

    Update rule (Q = A^T A, q = A^T b, x_0 = p_0 = 0, c_0 = 0):
        c_{k+1} = (1 + sqrt(1 + 4 c_k^2)) / 2
        x_{k+1} = max(p_k - (Q p_k - q) / L, 0)
        p_{k+1} = x_{k+1} + (c_k - 1) / c_{k+1} * (x_{k+1} - x_k)

    Args:
        A: matrix of shape ``(M, N)``.
        b: vector ``(M,)`` or matrix ``(M, K)`` (K problems at once).
        iters: number of iterations (an int >= 0).
        unroll: passed to ``lax.scan``.
        L: an upper bound of the largest eigenvalue of ``A^T A``; None uses
            ``min(||Q||_F, ||Q||_1)``.

    Returns:
        ``x`` of shape ``(N,)`` or ``(N, K)``.

    Raises:
        ValueError: shapes that do not fit.

    References:
        Polyak, Projected gradient method for non-negative least square,
        Contemporary Mathematics 636, 2015.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> x = gradtx.nnls(jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([5.0, 6.0]), 1000)
        >>> [round(float(v), 2) for v in x]
        [0.0, 1.7]
    """
    A, b = jnp.asarray(A), jnp.asarray(b)
    if A.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != A.shape[0]:
        raise ValueError(
            f"gradtx.nnls: A must be a matrix (M, N) and b of shape (M,) or (M, K); got A "
            f"{A.shape} and b {b.shape}."
        )
    Q = A.mT @ A  # noqa: N806
    q = A.mT @ b
    if L is None:
        L = jnp.minimum(  # noqa: N806
            jnp.linalg.matrix_norm(Q, ord="fro"),
            jnp.linalg.matrix_norm(Q, ord=1) if Q.size else 0.0,
        )
    L = jnp.where(L == 0, 1, L)  # noqa: N806

    def step(carry, _):
        x, p, c = carry
        c_next = (1 + jnp.sqrt(1 + 4 * c**2)) / 2
        x_next = jnp.clip(p - (Q @ p - q) / L, 0)
        p_next = x_next + (c - 1) / c_next * (x_next - x)
        return (x_next, p_next, c_next), None

    x0 = jnp.zeros(A.shape[-1:] + b.shape[1:], b.dtype)
    (x, _, _), _ = jax.lax.scan(step, (x0, x0, jnp.zeros((), b.dtype)), length=iters, unroll=unroll)
    return x
