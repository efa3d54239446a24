"""Power iteration: the dominant eigenpair of a matrix or of a linear operator on pytrees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gradtx._core._validate import check_nonnegative
from gradtx.curvature._flat import default_key
from gradtx.tree_utils._arithmetic import tree_scale, tree_sub
from gradtx.tree_utils._reductions import tree_norm, tree_vdot


def _normalized(tree: Any) -> Any:
    return tree_scale(1.0 / tree_norm(tree), tree)


def power_iteration(
    matrix: jax.typing.ArrayLike | Callable[[Any], Any],
    *,
    v0: Any | None = None,
    num_iters: jax.typing.ArrayLike = 100,
    error_tolerance: jax.typing.ArrayLike = 1e-6,
    precision: lax.Precision = lax.Precision.HIGHEST,
    key: jax.Array | None = None,
) -> tuple[jax.Array, Any]:
    """Dominant eigenvalue (largest in magnitude) and its eigenvector, by power iteration.

    Repeatedly applies the matrix to a vector and normalises it. The estimate
    after each product is the Rayleigh quotient, so for a symmetric matrix the
    returned eigenvalue carries its sign (a Hessian whose largest-magnitude
    eigenvalue is negative gives a negative value). Convergence is linear with
    ratio ``|lambda_2 / lambda_1|``; for several eigenvalues, or for a clustered
    top of the spectrum, ``hessian_eigenvalues`` (Lanczos) needs far fewer
    products.

    Iteration (``A`` the matrix, ``v`` normalised):
        v_0 = v0 / ||v0||,  z_0 = A v_0
        repeat: v = z / ||z||;  z = A v;  eig = <v, z>
        until ||z - eig * v|| / |eig| < error_tolerance or num_iters products

    Args:
        matrix: a square array ``(n, n)``, or a callable ``v -> A v`` on pytrees
            (for example ``lambda v: gradtx.curvature.hvp(loss, params, v, batch)``).
        v0: starting vector; a ``(n,)`` array for an array ``matrix``, a tree like
            the callable's input otherwise (required then). None, for an array,
            draws it uniformly from ``[-1, 1]`` with ``key``.
        num_iters: the most matrix products of the loop (>= 0).
        error_tolerance: >= 0, stop when the relative residual is below it.
        precision: ``lax.Precision`` of the array product.
        key: PRNG key for the random ``v0``; None means ``jax.random.PRNGKey(0)``.

    Returns:
        ``(eigenvalue, eigenvector)``: the Rayleigh quotient and the normalised
        last product, a vector (or tree) like ``v0``.

    Raises:
        ValueError: ``matrix`` is a callable and ``v0`` is None; a negative
            ``num_iters`` or ``error_tolerance``.

    References:
        Golub and Van Loan, Matrix Computations, 4th ed., Section 7.3.1, 2013.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> eig, vec = gradtx.power_iteration(jnp.diag(jnp.array([3.0, 1.0])))
        >>> round(float(eig), 4)
        3.0
        >>> op = lambda t: {"a": 2.0 * t["a"], "b": t["b"]}  # an operator on trees
        >>> eig, vec = gradtx.power_iteration(op, v0={"a": jnp.ones(2), "b": jnp.ones(3)})
        >>> round(float(eig), 4)
        2.0
    """
    check_nonnegative("power_iteration", "num_iters", num_iters)
    check_nonnegative("power_iteration", "error_tolerance", error_tolerance)
    if callable(matrix):
        mvp = matrix
        if v0 is None:
            raise ValueError(
                "gradtx.power_iteration: v0 must be given when matrix is a callable "
                "(it fixes the tree structure the operator acts on); pass v0=a tree like "
                "the operator's input, e.g. the params."
            )
    else:
        matrix = jnp.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"gradtx.power_iteration: matrix must be square (n, n); got shape {matrix.shape}."
            )
        mvp = lambda v: jnp.matmul(matrix, v, precision=precision)
        if v0 is None:
            v0 = jax.random.uniform(
                default_key(key), matrix.shape[-1:], matrix.dtype, minval=-1.0, maxval=1.0
            )
    v = _normalized(v0)
    z = mvp(v)
    eig = tree_vdot(v, z)
    eig0 = jnp.zeros_like(eig)

    def cond(carry):
        v, z, eig, it = carry
        residual = tree_norm(tree_sub(z, tree_scale(eig, v)))
        converged = jnp.abs(residual / eig) < error_tolerance
        return jnp.logical_not(converged) & (it < num_iters)

    def body(carry):
        _, z, _, it = carry
        v = _normalized(z)
        z = mvp(v)
        return v, z, tree_vdot(v, z), it + 1

    # The loop starts from eig = 0 (an infinite relative residual), so at least
    # one product runs when num_iters >= 1, as in optax.
    _, z, eig, _ = lax.while_loop(cond, body, (v, z, eig0, jnp.zeros((), jnp.int32)))
    return eig, _normalized(z)
