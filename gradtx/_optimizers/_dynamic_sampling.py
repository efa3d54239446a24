"""Dynamic sampling: grow the batch when the batch gradient is too noisy to trust its direction."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, OptState
from gradtx._core._lookup import find_unique_state
from gradtx._core._numerics import default_float_dtype, safe_increment, zero_count
from gradtx._core._validate import check_int, check_positive

TESTS = ("norm", "inner_product")


class DynamicSamplingState(NamedTuple):
    """State of ``dynamic_sampling``: the step count, the recommended batch size
    and the batch size the last test asked for (``needed``; 0 before any test)."""

    count: jax.Array
    batch_size: jax.Array
    needed: jax.Array


def _flat_rows(per_example_grads) -> jax.Array:
    """The per-example gradients as a (b, d) matrix in float32 or wider."""
    leaves = jax.tree.leaves(per_example_grads)
    wide = jnp.result_type(jnp.float32, *leaves)
    return jnp.concatenate([x.reshape(x.shape[0], -1).astype(wide) for x in leaves], axis=1)


def _needed_batch(G: jax.Array, test: str, theta, nu) -> jax.Array:
    """The smallest batch size that would pass the test, from a (b, d) sample."""
    b = G.shape[0]
    g = jnp.mean(G, axis=0)
    gg = jnp.maximum(g @ g, jnp.finfo(G.dtype).tiny)
    if test == "norm":
        var = jnp.sum(jnp.square(G - g[None, :])) / (b - 1)
        return var / (theta**2 * gg)
    ip = G @ g
    var_ip = jnp.sum(jnp.square(ip - gg)) / (b - 1)
    needed = var_ip / (theta**2 * gg**2)
    if nu is not None:
        orth = G - (ip / gg)[:, None] * g[None, :]
        var_orth = jnp.sum(jnp.square(orth)) / (b - 1)
        needed = jnp.maximum(needed, var_orth / (nu**2 * gg))
    return needed


def dynamic_sampling(
    initial_batch_size: int,
    *,
    test: str = "inner_product",
    theta: float | jax.Array = 0.9,
    nu: float | jax.Array | None = None,
    max_batch_size: int | None = None,
) -> GradientTransformation:
    """Recommend the batch size that keeps the batch gradient a reliable descent direction.

    Reads the batch's per-example gradients, estimates how noisy their mean
    is, and raises the recommended batch size (never lowers it) when a test
    fails: small batches early, when any direction roughly downhill helps,
    and larger ones near the solution, where SGD would otherwise stall at its
    noise floor. The loop reads the recommendation with ``next_batch_size``.
    The updates pass through unchanged. No buffers.

    Tests (S the batch, g_i its per-example gradients, g their mean, Var the
    sample variance over S with 1 / (|S| - 1)):
        "norm" (Byrd et al. 2012):
            Var(g_i) / |S| <= theta^2 |g|^2          (Var summed over coordinates)
        "inner_product" (Bollapragada et al. 2018):
            Var(g_i . g) / |S| <= theta^2 |g|^4
          and, if nu is given, the orthogonality test
            Var(g_i - (g_i . g / |g|^2) g) / |S| <= nu^2 |g|^2
    When a test fails, the batch that would pass it with the same variance is
    ``needed = Var / (theta^2 |g|^2)`` (resp. the inner-product forms), and
    the recommendation becomes ``min(max(batch_size, |S|, ceil(needed)), max_batch_size)``.

    Extra argument of ``update``: ``per_example_grads``, a tree like the
    params whose leaves have a leading axis of the batch size (e.g.
    ``jax.vmap(jax.grad(loss), (None, 0))(params, batch)``), with at least 2
    rows. Steps without it leave the recommendation as it is, so the loop may
    pay for per-example gradients only every few steps.

    Args:
        initial_batch_size: int >= 1, the first recommendation.
        test: "inner_product" (the default; weaker, so batches grow more
            slowly) or "norm".
        theta: > 0, the tolerance (0.9 in both papers); smaller grows faster.
        nu: > 0 or None, the orthogonality test's tolerance (Bollapragada et
            al. use tan 80 degrees, about 5.84); only for "inner_product".
        max_batch_size: int >= initial_batch_size or None, a cap (the data set size).

    Returns:
        The transformation; its state is ``DynamicSamplingState``.

    Raises:
        ValueError, TypeError: out-of-range arguments; ``per_example_grads``
            with fewer than 2 rows.

    References:
        Byrd, Chin, Nocedal and Wu, Sample Size Selection in Optimization
        Methods for Machine Learning, Math. Programming 2012.
        Bollapragada, Byrd and Nocedal, Adaptive Sampling Strategies for
        Stochastic Optimization, SIAM J. Optim. 2018.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.dynamic_sampling(4, test="norm", max_batch_size=1000)
        >>> g_i = jnp.array([[1.0, 0.0], [-0.5, 1.0], [0.5, -1.0], [0.2, 0.2]])
        >>> _, state = tx.update(g_i.mean(0), tx.init(jnp.zeros(2)), per_example_grads=g_i)
        >>> gradtx.next_batch_size(state)  # the noise is large next to |g|: grow the batch
        15
    """
    fn = "dynamic_sampling"
    check_int(fn, "initial_batch_size", initial_batch_size, 1)
    if test not in TESTS:
        raise ValueError(f"gradtx.{fn}(test={test!r}): test must be one of {TESTS}.")
    check_positive(fn, "theta", theta)
    if nu is not None:
        check_positive(fn, "nu", nu, none=True)
        if test != "inner_product":
            raise ValueError(f"gradtx.{fn}(nu={nu!r}): nu is only used with test='inner_product'.")
    if max_batch_size is not None:
        check_int(fn, "max_batch_size", max_batch_size, 1)
        if max_batch_size < initial_batch_size:
            raise ValueError(
                f"gradtx.{fn}(initial_batch_size={initial_batch_size}, "
                f"max_batch_size={max_batch_size}): max_batch_size must be >= "
                "initial_batch_size; raise max_batch_size or lower initial_batch_size."
            )
    cap = np.iinfo(np.int32).max if max_batch_size is None else max_batch_size

    def init(params):
        del params
        return DynamicSamplingState(
            count=zero_count(),
            batch_size=jnp.asarray(initial_batch_size, jnp.int32),
            needed=jnp.zeros((), default_float_dtype()),
        )

    def update(updates, state, params=None, *, per_example_grads=None, **extra_args):
        del params, extra_args
        if per_example_grads is None:
            return updates, state._replace(count=safe_increment(state.count))
        G = _flat_rows(per_example_grads)
        if G.shape[0] < 2:
            raise ValueError(
                f"gradtx.{fn}: per_example_grads needs at least 2 rows to estimate a variance; "
                f"got {G.shape[0]}."
            )
        needed = _needed_batch(G, test, theta, nu).astype(default_float_dtype())
        want = jnp.ceil(jnp.minimum(needed, float(cap)))
        size = jnp.maximum(jnp.maximum(state.batch_size, G.shape[0]), want.astype(jnp.int32))
        size = jnp.minimum(size, cap).astype(jnp.int32)
        return updates, DynamicSamplingState(safe_increment(state.count), size, needed)

    return GradientTransformation(init, update)


def next_batch_size(opt_state: OptState, cap: int | None = None) -> int:
    """The batch size that ``dynamic_sampling`` recommends, as a Python int, at most ``cap``.

    Call it on the host between steps (batch shapes are static under jit);
    ``opt_state`` may be a chain's state holding exactly one
    ``DynamicSamplingState``. Rounding the result up to one of a few sizes
    (powers of two, say) bounds the number of recompilations.

    Args:
        opt_state: the optimizer state.
        cap: int >= 1 or None, an upper bound (the data set size).

    Returns:
        ``min(recommended, cap)``.

    Raises:
        ValueError: no (or several) ``DynamicSamplingState`` in ``opt_state``;
            ``cap`` below 1.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.dynamic_sampling(32)
        >>> gradtx.next_batch_size(tx.init(jnp.zeros(3)), cap=16)
        16
    """
    if cap is not None:
        check_int("next_batch_size", "cap", cap, 1)
    size = int(find_unique_state("next_batch_size", opt_state, DynamicSamplingState).batch_size)
    return size if cap is None else min(size, cap)
