"""The inverse p-th root of a symmetric positive semi-definite matrix (Shampoo's preconditioner)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import ArrayLike


def matrix_inverse_pth_root(
    matrix: ArrayLike,
    p: ArrayLike,
    num_iters: ArrayLike = 100,
    ridge_epsilon: ArrayLike = 1e-6,
    error_tolerance: ArrayLike = 1e-6,
    precision: lax.Precision = lax.Precision.HIGHEST,
) -> tuple[jax.Array, jax.Array]:
    """``(matrix + ridge * I) ** (-1/p)`` by the coupled Newton iteration, and its residual.

    Iterates (alpha = -1/p, from M_0 = z * A_damped, H_0 = z^(1/p) * I with
    z = (1 + p) / (2 ||A_damped||_F)):
        T_k     = (1 - alpha) * I + alpha * M_k
        M_{k+1} = T_k^p M_k,   H_{k+1} = H_k T_k
    until ``max|M_k - I| <= error_tolerance``, ``num_iters`` steps, or the error
    grows by more than 20% (then the previous ``H`` is returned). The ridge is
    ``ridge_epsilon * max(lambda_max, 1e-16)``; optax estimates ``lambda_max`` by
    100 power-iteration steps, gradtx computes it exactly with ``eigvalsh``.
    A 1x1 matrix is handled in closed form.

    Args:
        matrix: a symmetric PSD matrix ``(n, n)``.
        p: the root, one of 1, 2, 4, 8.
        num_iters: the most iterations.
        ridge_epsilon: relative damping added to the diagonal.
        error_tolerance: stop when ``max|M - I|`` is below it.
        precision: matmul precision.

    Returns:
        ``(H, error)``: the inverse p-th root (in ``matrix``'s dtype) and ``max|M - I|``.

    References:
        Anil et al., Scalable Second Order Optimization for Deep Learning, 2020,
        https://arxiv.org/abs/2002.09018 (Algorithm 3).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> h, _ = gradtx.matrix_inverse_pth_root(jnp.diag(jnp.array([4.0, 16.0])), 2, ridge_epsilon=0.0)
        >>> [round(float(v), 3) for v in jnp.diag(h)]
        [0.5, 0.25]
    """
    matrix = jnp.asarray(matrix)
    n = matrix.shape[0]
    alpha = jnp.asarray(-1.0 / p, jnp.float32)
    eye = jnp.eye(n, dtype=jnp.float32)
    max_ev = jnp.max(jnp.linalg.eigvalsh(matrix))
    ridge = ridge_epsilon * jnp.maximum(max_ev, 1e-16)

    def power(m, k):
        # m ** k for k in 1, 2, 4, 8 by repeated squaring, chosen at run time.
        def squarings(times):
            def f(x):
                for _ in range(times):
                    x = jnp.matmul(x, x, precision=precision)
                return x

            return f

        index = jnp.asarray(jnp.round(jnp.log2(k)), jnp.int32)
        return lax.switch(index, [squarings(i) for i in range(4)], m)

    if n == 1:
        return (matrix + ridge) ** alpha, jnp.zeros((), jnp.float32)

    damped = matrix + ridge * eye
    z = (1 + p) / (2 * jnp.linalg.norm(damped))
    m0 = damped * z
    h0 = eye * jnp.power(z, 1.0 / p)
    err0 = jnp.max(jnp.abs(m0 - eye))

    def cond(carry):
        i, _, _, _, err, improving = carry
        return jnp.logical_and(i < num_iters, jnp.logical_and(err > error_tolerance, improving))

    def body(carry):
        i, m, h, _, err, _ = carry
        t = (1 - alpha) * eye + alpha * m
        new_m = jnp.matmul(power(t, p), m, precision=precision)
        new_h = jnp.matmul(h, t, precision=precision)
        new_err = jnp.max(jnp.abs(new_m - eye))
        return i + 1, new_m, new_h, h, new_err, new_err < err * 1.2

    _, m, h, prev_h, _, improving = lax.while_loop(
        cond, body, (0, m0, h0, h0, err0, jnp.asarray(True))
    )
    error = jnp.max(jnp.abs(m - eye))
    keep = jnp.asarray(improving, prev_h.dtype)
    return jnp.asarray(keep * h + (1 - keep) * prev_h, matrix.dtype), error
