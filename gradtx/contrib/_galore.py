"""GaLore: run a base optimizer on low-rank projections of the weight-matrix gradients."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    with_extra_args_support,
)
from gradtx._core._numerics import promoted_dtype, safe_increment, zero_count
from gradtx._core._validate import (
    check_int,
    check_learning_rate,
    check_nonnegative,
    checks_float_params,
)
from gradtx._optimizers._adam import scale_by_adam
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._sharding import gather_explicit
from gradtx.tree_utils._tree_math import leaf_dtype


class GaLoreDimensionNumbers(NamedTuple):
    """Which axes of a weight form the rows (``reduction_axis``) and the columns
    (``output_axis``) of the matrix that GaLore projects.

    A ``(embed, heads, head_dim)`` attention weight, say, is the matrix
    ``(embed, heads * head_dim)`` with ``reduction_axis=0, output_axis=(1, 2)``.
    Together the axes must be all the weight's axes, each once.
    """

    reduction_axis: Sequence[int] | int = 0
    output_axis: Sequence[int] | int = 1


class GaLoreState(NamedTuple):
    """State of ``scale_by_galore`` (optax's names and order).

    Fields:
        count: number of updates so far (int32).
        base_optimizer_state: the base optimizer's state, on the low-rank
            gradients of projected leaves and the full gradients of the others.
        projector: per leaf, the orthonormal projector (``(m, r)`` or ``(n, r)``),
            or a ``(0, 0)`` placeholder for leaves that are not projected.
    """

    count: jax.Array
    base_optimizer_state: Any
    projector: Any


def _is_dim_leaf(x) -> bool:
    return x is None or isinstance(x, GaLoreDimensionNumbers)


def _axes(axes, ndim) -> tuple[int, ...]:
    return tuple(a % ndim for a in ((axes,) if isinstance(axes, int) else axes))


class _View(NamedTuple):
    """How one leaf is seen as an ``(m, n)`` matrix."""

    perm: tuple[int, ...]
    m: int
    n: int
    rank: int

    @property
    def left(self) -> bool:
        return self.m >= self.n


def _view(shape, dims: GaLoreDimensionNumbers, rank: int) -> _View:
    fn = "gradtx.contrib.scale_by_galore"
    if len(shape) < 2:
        raise ValueError(f"{fn}: a projected weight needs rank >= 2; got shape {shape}.")
    red, out = _axes(dims.reduction_axis, len(shape)), _axes(dims.output_axis, len(shape))
    if sorted(red + out) != list(range(len(shape))):
        raise ValueError(
            f"{fn}: weight_dimension_numbers {dims} must name each axis of a weight of "
            f"shape {shape} exactly once (reduction {red}, output {out})."
        )
    m = math.prod(shape[a] for a in red)
    n = math.prod(shape[a] for a in out)
    return _View(red + out, m, n, min(rank, m, n))


def _to_matrix(x, v: _View):
    return jnp.transpose(x, v.perm).reshape(v.m, v.n)


def _from_matrix(x, v: _View, shape):
    tshape = tuple(shape[a] for a in v.perm)
    inv = tuple(sorted(range(len(shape)), key=lambda i: v.perm[i]))
    return x.reshape(tshape).transpose(inv)


def _projector(g2d, v: _View):
    """The top-``rank`` singular vectors on the long side, from an SVD in at least float32."""
    # The projector is replicated (as init makes it); an SVD needs the whole matrix.
    g2d = gather_explicit(g2d)
    u, _, vh = jnp.linalg.svd(g2d.astype(promoted_dtype(g2d.dtype, jnp.float32)), False)
    p = u[:, : v.rank] if v.left else vh[: v.rank, :].T
    return p.astype(g2d.dtype)


def scale_by_galore(
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: float = 1.0,
    base_optimizer: GradientTransformation | None = None,
    weight_dimension_numbers: Any = None,
) -> GradientTransformation:
    """Project matrix gradients to rank ``rank``, run ``base_optimizer`` there, project back.

    The gradient ``G`` (m x n) of a weight matrix is often close to low rank.
    GaLore keeps ``P``, the top ``r`` singular vectors of ``G`` on its longer
    side, recomputed every ``update_proj_gap`` steps, runs the base optimizer on
    ``R = P^T G`` (r x n) or ``G P`` (m x r), and maps its update back. The base
    optimizer's state (Adam's moments, say) then costs ``r * n`` instead of
    ``m * n`` per matrix. Other leaves get the base optimizer unprojected. The
    base optimizer must not read params (use ``scale_by_adam``, not ``adamw``).

    Update rule (k = 0, 1, ...; per projected leaf, m >= n shown; else transposed):
        P_k = top-r left singular vectors of G_k   if k % update_proj_gap == 0
              P_{k-1}                               otherwise
        u_k = scale * P_k @ base(P_k^T @ G_k)

    Difference from optax: the SVD runs in the gradient's dtype or float32,
    whichever is wider (optax always uses float32, so float64 weights get a
    projector orthonormal to 1e-7 only); in float32 the two agree.

    Args:
        rank: int >= 1, the projection rank (capped at ``min(m, n)``).
        update_proj_gap: int >= 1, steps between SVDs.
        scale: >= 0, multiplies the projected-back updates.
        base_optimizer: the transformation run on the projections; None uses
            ``scale_by_adam()``.
        weight_dimension_numbers: None projects the rank-2 leaves; a
            ``GaLoreDimensionNumbers`` applies to every leaf of rank >= 2; or a
            tree (or a function of params returning one) with a
            ``GaLoreDimensionNumbers`` or None (not projected) per leaf.

    Returns:
        The transformation; its state is ``GaLoreState``.

    Raises:
        ValueError: a concrete hyperparameter out of range; at init, dimension
            numbers that do not fit a leaf.
        TypeError: ``rank`` or ``update_proj_gap`` not an int, or a
            non-transformation ``base_optimizer``.

    References:
        Zhao et al., GaLore: Memory-Efficient LLM Training by Gradient Low-Rank
        Projection, ICML 2024, https://arxiv.org/abs/2403.03507.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.scale_by_galore(rank=1, base_optimizer=gradtx.identity())
        >>> g = jnp.outer(jnp.array([1.0, 2.0, 3.0]), jnp.array([1.0, -1.0]))
        >>> u, state = tx.update(g, tx.init(g))
        >>> bool(jnp.allclose(u, g, atol=1e-5))  # a rank-1 gradient is kept whole
        True
        >>> state.projector.shape
        (3, 1)
    """
    fn = "contrib.scale_by_galore"
    _check_galore(fn, rank, update_proj_gap, scale)
    return _scale_by_galore(
        fn, rank, update_proj_gap, scale, base_optimizer, weight_dimension_numbers
    )


def _check_galore(fn, rank, update_proj_gap, scale):
    check_int(fn, "rank", rank, low=1)
    check_int(fn, "update_proj_gap", update_proj_gap, low=1)
    check_nonnegative(fn, "scale", scale)


def _scale_by_galore(fn, rank, gap, scale, base_optimizer, dim_numbers) -> GradientTransformation:
    if base_optimizer is None:
        base_optimizer = scale_by_adam()
    if not (isinstance(base_optimizer, tuple) and len(base_optimizer) == 2):
        raise TypeError(
            f"gradtx.{fn}(base_optimizer=...): base_optimizer must be a GradientTransformation "
            f"or None; got {type(base_optimizer).__name__}."
        )
    base = with_extra_args_support(GradientTransformation(*base_optimizer))

    def views(tree):
        leaves, treedef = jax.tree.flatten(tree)
        if dim_numbers is None:
            dims = [GaLoreDimensionNumbers() if jnp.ndim(x) == 2 else None for x in leaves]
        elif isinstance(dim_numbers, GaLoreDimensionNumbers):
            dims = [dim_numbers if jnp.ndim(x) >= 2 else None for x in leaves]
        else:
            given = dim_numbers(tree) if callable(dim_numbers) else dim_numbers
            dims = treedef.flatten_up_to(given)
        vs = [None if d is None else _view(jnp.shape(x), d, rank) for x, d in zip(leaves, dims)]
        return leaves, treedef, vs

    def init(params):
        leaves, treedef, vs = views(params)
        projectors, proxies = [], []
        for x, v in zip(leaves, vs, strict=True):
            dt = leaf_dtype(x)
            if v is None:
                projectors.append(jnp.zeros((0, 0), dt))
                proxies.append(jnp.zeros_like(x, dtype=dt))
            else:
                projectors.append(jnp.zeros((v.m if v.left else v.n, v.rank), dt))
                proxies.append(jnp.zeros((v.rank, v.n) if v.left else (v.m, v.rank), dt))
        return GaLoreState(
            count=zero_count(),
            base_optimizer_state=base.init(treedef.unflatten(proxies)),
            projector=treedef.unflatten(projectors),
        )

    def update(updates, state, params=None, **extra_args):
        del params
        leaves, treedef, vs = views(updates)
        refresh = state.count % gap == 0
        projectors = treedef.flatten_up_to(state.projector)
        low, new_projectors = [], []
        for g, p, v in zip(leaves, projectors, vs, strict=True):
            if v is None:
                low.append(g)
                new_projectors.append(p)
                continue
            g2d = _to_matrix(g, v)
            p = jax.lax.cond(refresh, lambda g2d=g2d, v=v: _projector(g2d, v), lambda p=p: p)
            # The low-rank gradient is laid out as init lays out the proxies (replicated
            # under an explicit mesh), so the base optimizer's state keeps its type.
            low.append(gather_explicit(p.T @ g2d if v.left else g2d @ p))
            new_projectors.append(p)
        low_updates, base_state = base.update(
            treedef.unflatten(low), state.base_optimizer_state, None, **extra_args
        )
        out = []
        for g, u, p, v in zip(leaves, treedef.flatten_up_to(low_updates), new_projectors, vs):
            if v is None:
                out.append(u.astype(g.dtype))
                continue
            full = p @ u if v.left else u @ p.T
            out.append((scale * _from_matrix(full, v, g.shape)).astype(g.dtype))
        return treedef.unflatten(out), GaLoreState(
            safe_increment(state.count), base_state, treedef.unflatten(new_projectors)
        )

    return GradientTransformation(init, update)


@checks_float_params(complex_params=False)
def galore(
    learning_rate: ScalarOrSchedule,
    rank: int = 128,
    update_proj_gap: int = 200,
    scale: float = 1.0,
    base_optimizer: GradientTransformation | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any | Callable[[Any], Any] | None = None,
    weight_dimension_numbers: Any = None,
) -> GradientTransformation:
    """GaLore: ``scale_by_galore``, decoupled weight decay, then the learning rate.

    Update rule (see ``scale_by_galore`` for ``u_k``; x = params):
        x_{k+1} = x_k - learning_rate_k * (u_k + weight_decay * x_k)

    The weight decay acts on the full params, after the projection back (the
    base optimizer never sees params). With a base optimizer that already
    includes a learning rate, pass ``learning_rate=1.0``.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    Args:
        learning_rate: a number >= 0 or a schedule of the 0-based count.
        rank: int >= 1, the projection rank.
        update_proj_gap: int >= 1, steps between SVDs.
        scale: >= 0, multiplies the projected-back updates.
        base_optimizer: None (``scale_by_adam()``) or a transformation that does
            not read params.
        weight_decay: >= 0, decoupled weight decay.
        mask: tree of bools (or a function of params) choosing the decayed leaves.
        weight_dimension_numbers: which leaves are projected and how (see
            ``scale_by_galore``).

    Returns:
        The optimizer; its state is the chain's tuple
        ``(GaLoreState, AddDecayedWeightsState, scale state)``.

    Raises:
        ValueError, TypeError: as ``scale_by_galore``, and a negative
            learning rate or weight decay.

    References:
        Zhao et al., GaLore: Memory-Efficient LLM Training by Gradient Low-Rank
        Projection, ICML 2024, https://arxiv.org/abs/2403.03507.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> def f(p): return jnp.sum(p["w"] ** 2) + jnp.sum(p["b"] ** 2)
        >>> opt = gradtx.contrib.galore(0.1, rank=2, update_proj_gap=10)
        >>> params = {"w": jnp.ones((6, 4)), "b": jnp.ones(4)}
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     updates, state = opt.update(jax.grad(f)(params), state, params)
        ...     params = gradtx.apply_updates(params, updates)
        >>> bool(f(params) < 1e-2)  # from 28
        True
    """
    fn = "contrib.galore"
    check_learning_rate(fn, learning_rate)
    _check_galore(fn, rank, update_proj_gap, scale)
    check_nonnegative(fn, "weight_decay", weight_decay)
    return chain(
        _scale_by_galore(
            fn, rank, update_proj_gap, scale, base_optimizer, weight_dimension_numbers
        ),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
