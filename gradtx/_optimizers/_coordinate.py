"""Coordinate and block-coordinate descent as a transformation: update one block per step."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation
from gradtx._core._numerics import promoted_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    checks_float_params,
    require_params,
)
from gradtx.tree_utils._sharding import gather_explicit
from gradtx.tree_utils._tree_math import zip_map

RULES = ("cyclic", "random", "gauss_southwell")


class CoordinateDescentState(NamedTuple):
    """State of ``coordinate_descent``: the step count and the block updated last."""

    count: jax.Array
    block: jax.Array


def _layout(params, block_size: int | None):
    """Per leaf: (offset of its first block, its number of blocks); and the total."""
    sizes = [math.prod(jnp.shape(p)) for p in jax.tree.leaves(params)]
    counts = [1 if block_size is None else max(1, -(-s // block_size)) for s in sizes]
    offsets = [sum(counts[:i]) for i in range(len(counts))]
    return offsets, counts, sum(counts)


def _block_ids(p, offset: int, block_size: int | None) -> jax.Array:
    size = math.prod(jnp.shape(p))
    if block_size is None:
        return jnp.full(jnp.shape(p), offset, jnp.int32)
    return (offset + jnp.arange(size, dtype=jnp.int32) // block_size).reshape(jnp.shape(p))


@checks_float_params
def coordinate_descent(
    learning_rate: Any = 1.0,
    *,
    rule: str = "cyclic",
    block_size: int | None = 1,
    prox: Callable | None = None,
    prox_hyperparams: Any = None,
    seed: int = 0,
) -> GradientTransformation:
    """(Proximal) coordinate or block-coordinate descent: step along one block per update.

    Each update moves one block of coordinates -- ``block_size`` consecutive
    entries of a leaf, or a whole leaf with ``block_size=None`` -- by a
    (proximal) gradient step and leaves the rest in place. With per-coordinate
    steps ``1 / L_i`` (``learning_rate`` a pytree like the params, e.g. the
    inverse diagonal of a quadratic's Hessian) a coordinate step is the exact
    minimiser along that coordinate of a quadratic, and with ``prox`` an L1
    prox it is the lasso's coordinate update. The transformation receives a
    full gradient each step; when a single partial derivative is much cheaper
    than the gradient (the lasso, GLMs), ``gradtx.proximal.enet_coordinate_descent``
    exploits it. No buffers; the state is the step count and the last block.

    Update rule (s the step, leafwise or scalar; j the chosen block):
        x' = prox(x - s * g, prox_hyperparams, s)
        updates = x' - x on block j, 0 elsewhere
    Block choice (B blocks in leaf order):
        "cyclic":          j = t mod B
        "random":          j uniform in [0, B), from ``seed`` and t
        "gauss_southwell": j maximising sum_{i in j} (x'_i - x_i)^2 / s_i, the
                           guaranteed decrease (the Gauss-Southwell-Lipschitz
                           rule with steps 1/L_i; plain Gauss-Southwell, the
                           largest |g_i|, with a constant step and no prox)

    Complex params: supported.

    Args:
        learning_rate: the step(s) > 0: a number, array or schedule, or a
            pytree like the params (one step per coordinate).
        rule: "cyclic", "random" or "gauss_southwell".
        block_size: int >= 1, coordinates per block within a leaf, or None
            for one block per leaf (block coordinate descent over layers).
        prox: ``prox(x, hyperparams, scaling)`` (``gradtx.proximal``) or None.
            With a pytree of steps it is applied leaf by leaf, each leaf's
            steps as the scaling.
        prox_hyperparams: passed to ``prox``.
        seed: int, the seed of the "random" rule.

    Returns:
        The transformation; its state is ``CoordinateDescentState``.

    Raises:
        ValueError, TypeError: out-of-range or mistyped arguments; ``update``
            without params.

    References:
        Wright, Coordinate Descent Algorithms, Math. Programming 2015.
        Nesterov, Efficiency of Coordinate Descent Methods on Huge-Scale
        Optimization Problems, SIAM J. Optim. 2012. Nutini et al.,
        Coordinate Descent Converges Faster with the Gauss-Southwell Rule
        Than Random Selection, ICML 2015.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> A = jnp.array([[2.0, 1.0], [1.0, 3.0]]); b = jnp.array([1.0, 1.0])
        >>> f = lambda x: 0.5 * x @ A @ x - b @ x
        >>> opt = gradtx.coordinate_descent(1.0 / jnp.diag(A))  # exact line minimisation
        >>> x = jnp.zeros(2)
        >>> state = opt.init(x)
        >>> for _ in range(40):
        ...     u, state = opt.update(jax.grad(f)(x), state, x)
        ...     x = gradtx.apply_updates(x, u)
        >>> bool(jnp.allclose(x, jnp.linalg.solve(A, b)))
        True
    """
    fn = "coordinate_descent"
    lr_is_tree = not (callable(learning_rate) or hasattr(learning_rate, "shape")) and not (
        isinstance(learning_rate, int | float)
    )
    leaves = [learning_rate] if callable(learning_rate) else jax.tree.leaves(learning_rate)
    for leaf in leaves or [learning_rate]:  # None (no leaves) is checked, and rejected
        check_learning_rate(fn, leaf, array=True)  # per-coordinate steps are documented
    if rule not in RULES:
        raise ValueError(f"gradtx.{fn}(rule={rule!r}): rule must be one of {RULES}.")
    if block_size is not None:
        check_int(fn, "block_size", block_size, 1)
    check_int(fn, "seed", seed)
    if prox is not None and not callable(prox):
        raise TypeError(f"gradtx.{fn}(prox={prox!r}): prox must be callable or None.")

    def init(params):
        del params
        return CoordinateDescentState(count=zero_count(), block=zero_count())

    def steps(params, count):
        if callable(learning_rate):
            lr = learning_rate(count)
        else:
            lr = learning_rate
        if lr_is_tree:
            return jax.tree.map(lambda s, p: jnp.asarray(s, p.dtype), lr, params)
        return jax.tree.map(lambda p: jnp.asarray(lr, p.dtype), params)

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(fn, params)
        s = steps(params, state.count)
        z = jax.tree.map(lambda p, g, si: p - si * g.astype(p.dtype), params, updates, s)
        if prox is None:
            xn = z
        elif lr_is_tree:  # leaf by leaf, each with its own steps as the scaling
            xn = jax.tree.map(lambda zi, si: prox(zi, prox_hyperparams, si), z, s)
        else:
            lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
            xn = prox(z, prox_hyperparams, jnp.asarray(lr))
        d = jax.tree.map(lambda a, p: a.astype(p.dtype) - p, xn, params)
        offsets, counts, total = _layout(params, block_size)
        if rule == "cyclic":
            j = (state.count % total).astype(jnp.int32)
        elif rule == "random":
            key = jax.random.fold_in(jax.random.key(seed), state.count)
            j = jax.random.randint(key, (), 0, total, dtype=jnp.int32)
        else:
            scores = []
            for di, si, cnt in zip(jax.tree.leaves(d), jax.tree.leaves(s), counts, strict=True):
                wide = promoted_dtype(di.dtype, jnp.float32)
                gain = jnp.square(di.astype(wide)) / jnp.broadcast_to(si, di.shape)
                gain = gather_explicit(gain).ravel()  # scores of every block, on every device
                ids = _block_ids(di, 0, block_size).ravel()
                scores.append(jax.ops.segment_sum(gain, ids, num_segments=cnt).astype(jnp.float32))
            j = jnp.argmax(jnp.concatenate(scores)).astype(jnp.int32)
        ids = jax.tree.unflatten(
            jax.tree.structure(d),
            [_block_ids(di, off, block_size) for di, off in zip(jax.tree.leaves(d), offsets)],
        )

        def leaf(g, di, bi):
            return jnp.where(bi == j, di, jnp.zeros((), di.dtype)).astype(g.dtype)

        u = zip_map(f"gradtx.{fn}", leaf, g=updates, d=d, ids=ids)
        return u, CoordinateDescentState(count=safe_increment(state.count), block=j)

    return GradientTransformation(init, update)
