"""Muon: momentum orthogonalised by Newton-Schulz, with AdamW for non-matrix params."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    init_empty_state,
)
from gradtx._core._numerics import (
    bias_correction_factor,
    canonicalize_dtype,
    debiased_first_moment,
    moving_average,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_decay,
    check_dtype,
    check_int,
    check_learning_rate,
    check_nonnegative,
    check_positive,
    checks_float_params,
)
from gradtx._optimizers._adam import adamw
from gradtx.contrib._newton_schulz import DEFAULT_NS_COEFFS, ns_coefficients, orthogonalize_leaf
from gradtx.transforms._masking import MaskedNode
from gradtx.transforms._partition import partition
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.transforms._weight_decay import add_decayed_weights
from gradtx.tree_utils._construct import tree_zeros_like

_PRECONDITIONINGS = ("frobenius", "spectral", "aol", "schatten")


class MuonDimensionNumbers(NamedTuple):
    """Which axes of a weight form the matrix that Muon orthogonalises.

    The matrix has rows indexed by ``reduction_axis`` (the fan-in, flattened
    if several) and columns by ``output_axis`` (the fan-out). Any other axis is
    a batch axis: each slice along it is orthogonalised on its own. The default
    is a plain (in, out) matrix.
    """

    reduction_axis: Sequence[int] | int = 0
    output_axis: Sequence[int] | int = 1


def _is_dims(x: Any) -> bool:
    # Duck-typed, so that optax.contrib.MuonDimensionNumbers works too.
    return hasattr(x, "reduction_axis") and hasattr(x, "output_axis")


class _Spec:
    """A leaf-level wrapper (not a pytree) for one leaf's dimension numbers or None."""

    def __init__(self, dims):
        self.dims = dims


def _leaf_dims(fn: str, weight_dimension_numbers, updates) -> list:
    """Dimension numbers (or None for the default rule) per leaf, in flattening order."""
    wdn = weight_dimension_numbers
    if callable(wdn) and not _is_dims(wdn):
        wdn = wdn(updates)
    n = len(jax.tree.leaves(updates))
    if wdn is None or _is_dims(wdn):
        return [wdn] * n
    is_leaf = lambda x: x is None or _is_dims(x) or isinstance(x, MaskedNode)  # noqa: E731
    try:
        spread = jax.tree.map(
            lambda d, sub: jax.tree.map(lambda _: _Spec(d), sub), wdn, updates, is_leaf=is_leaf
        )
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"gradtx.{fn}: weight_dimension_numbers must be a tree with the params' "
            "structure (or a prefix of it) whose leaves are MuonDimensionNumbers or None; "
            f"{e}"
        ) from None
    return [s.dims for s in jax.tree.leaves(spread)]


def _matrix_axes(fn: str, path: str, shape, dims):
    """(batch, reduction, output) axes of a leaf of the given shape."""
    ndim = len(shape)
    if dims is None:
        if ndim < 2:
            raise ValueError(
                f"gradtx.{fn}: the leaf at {path} has shape {tuple(shape)}; Muon "
                "orthogonalises matrices (rank >= 2). Use gradtx.muon, which sends "
                "scalars and vectors to AdamW, or mask this leaf out."
            )
        return (), tuple(range(ndim - 1)), (ndim - 1,)

    def norm(axes):
        axes = (axes,) if isinstance(axes, int | np.integer) else tuple(axes)
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"gradtx.{fn}: the leaf at {path} has shape {tuple(shape)}; axis {a} "
                    f"in its MuonDimensionNumbers is out of range."
                )
        return tuple(int(a) % ndim for a in axes)

    red, out = norm(dims.reduction_axis), norm(dims.output_axis)
    if not red or not out or set(red) & set(out):
        raise ValueError(
            f"gradtx.{fn}: the leaf at {path} has reduction axes {red} and output "
            f"axes {out}; both must be non-empty and disjoint."
        )
    batch = tuple(a for a in range(ndim) if a not in red + out)
    return batch, red, out


def _check_preconditioning(fn: str, preconditioning: str) -> None:
    if preconditioning not in _PRECONDITIONINGS:
        raise ValueError(
            f"gradtx.{fn}(preconditioning={preconditioning!r}): preconditioning must be "
            f"one of {', '.join(repr(p) for p in _PRECONDITIONINGS)}; got {preconditioning!r}."
        )


class MuonState(NamedTuple):
    """State of ``scale_by_muon``: count, momentum ``mu``, and the Newton-Schulz
    coefficients ``ns_coeffs`` ((3,) or one row per step), kept in the state so
    that they can be read or changed between steps."""

    count: jax.Array
    mu: Any
    ns_coeffs: jax.Array


@checks_float_params(complex_params=False)
def scale_by_muon(
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] | str = DEFAULT_NS_COEFFS,
    ns_steps: int = 5,
    beta: float | jax.Array = 0.95,
    eps: float | jax.Array = 1e-8,
    mu_dtype=None,
    *,
    nesterov: bool = True,
    adaptive: bool = False,
    preconditioning: str = "frobenius",
    weight_dimension_numbers: Any = None,
) -> GradientTransformation:
    """Orthogonalise the (Nesterov) momentum of each matrix by Newton-Schulz (Muon).

    The update of a weight matrix is its momentum with all singular values
    pushed to about 1 (``U V^T`` for momentum ``U S V^T``): steepest descent
    under the spectral norm. A few matrix products replace an SVD, so it runs
    well in bfloat16 on accelerators. Memory: one buffer per param.

    Update rule (t counts from 1; per leaf, viewed as a matrix):
        mu_t = beta * mu_{t-1} + (1 - beta) * g_t
        m_t  = beta * mu_t / (1 - beta^(t+1)) + (1 - beta) * g_t / (1 - beta^t)  (nesterov)
             = mu_t / (1 - beta^t)                                             (otherwise)
        X_0  = m_t / (||m_t||_F + eps)       (transposed if it has more rows than columns)
        X_k  = a X + (b A + c A^2) X,   A = X X^T,   k = 1 .. ns_steps
        u_t  = X_ns_steps                    (times <m_t, X> if adaptive)

    With the default coefficients (a, b, c) = (3.4445, -4.7750, 2.0315) the
    singular values land in roughly [0.7, 1.2] rather than exactly 1, which
    works as well in practice and needs fewer steps.

    Leaves of rank > 2 (conv kernels) are viewed as matrices by
    ``weight_dimension_numbers``; by default all axes but the last are the
    fan-in and the last is the fan-out (``(kh, kw, in, out) -> (kh*kw*in, out)``).
    Scalars and vectors are rejected: use ``muon``, which gives them to AdamW.
    Under ``jax.vmap`` each batch member is orthogonalised on its own.

    Args:
        ns_coeffs: (a, b, c), an (n, 3) array with one row per step, or a preset
            name: ``"standard"`` (the default) or ``"dion"`` (Ahn et al.).
        ns_steps: int >= 0, number of Newton-Schulz steps (with an (n, 3) array,
            all n rows are used and ns_steps must be >= n).
        beta: momentum decay in [0, 1).
        eps: >= 0, guards the normalisation.
        mu_dtype: dtype of ``mu``; None uses each param's dtype.
        nesterov: use the Nesterov look-ahead momentum above.
        adaptive: scale by ``<m_t, X>`` (Bernstein and Newhouse's dual norm).
        preconditioning: how X_0 is normalised: ``"frobenius"`` (above),
            ``"spectral"`` (by ||m||_2, an SVD, slower), ``"aol"`` (row
            rescaling inside the first step, Boissin et al.) or ``"schatten"``
            (by the Schatten-4 norm inside the first step, Grishina et al.).
        weight_dimension_numbers: None, one ``MuonDimensionNumbers`` for all
            leaves, a tree of them (a prefix of the params; None entries use the
            default rule), or a function of the updates returning one.

    Returns:
        The transformation; its state is ``MuonState``.

    Raises:
        ValueError: out-of-range concrete hyperparameters, badly shaped
            ``ns_coeffs``, an unknown preconditioning, or (at update) a leaf of
            rank < 2.

    References:
        Jordan et al., Muon: An optimizer for hidden layers in neural networks,
        2024, https://kellerjordan.github.io/posts/muon/.
        Bernstein and Newhouse, Old Optimizer, New Norm: An Anthology, 2024,
        https://arxiv.org/abs/2409.20325.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_muon()
        >>> w = jnp.array([[3.0, 0.0], [0.0, 0.5]])
        >>> u, _ = tx.update(w, tx.init(w))
        >>> bool(jnp.all(jnp.abs(jnp.diag(u)) > 0.6))    # both directions get ~unit steps
        True
    """
    fn = "scale_by_muon"
    check_int(fn, "ns_steps", ns_steps, 0)
    ns_coeffs = ns_coefficients(fn, ns_coeffs, ns_steps)
    check_decay(fn, "beta", beta)
    check_nonnegative(fn, "eps", eps)
    check_dtype(fn, "mu_dtype", mu_dtype)
    _check_preconditioning(fn, preconditioning)
    mu_dtype = canonicalize_dtype(mu_dtype)

    def init(params):
        return MuonState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            ns_coeffs=jnp.asarray(ns_coeffs),
        )

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = safe_increment(state.count)
        c1 = bias_correction_factor(beta, count)
        c1_next = bias_correction_factor(beta, safe_increment(count))
        dims = _leaf_dims(fn, weight_dimension_numbers, updates)
        with_path, treedef = jax.tree_util.tree_flatten_with_path(updates)
        mus = treedef.flatten_up_to(state.mu)
        outs, new_mus = [], []
        for (path, g), m, d in zip(with_path, mus, dims, strict=True):
            axes = _matrix_axes(fn, jax.tree_util.keystr(path) or "<root>", g.shape, d)
            new_m = moving_average(m, g, beta)
            m_hat = debiased_first_moment(new_m, g, beta, c1, c1_next if nesterov else None)
            u = orthogonalize_leaf(m_hat, axes, state.ns_coeffs, ns_steps, preconditioning, eps)
            if adaptive:
                u = jnp.sum(m_hat.conj() * u) * u
            outs.append(u.astype(g.dtype))
            new_mus.append(new_m.astype(m.dtype))
        return treedef.unflatten(outs), MuonState(
            count=count, mu=treedef.unflatten(new_mus), ns_coeffs=state.ns_coeffs
        )

    return GradientTransformation(init, update)


def _scale_by_shape(weight_dimension_numbers, consistent_rms) -> GradientTransformation:
    """Multiply each matrix's update by a factor of its fan-in and fan-out. Stateless.

    sqrt(max(1, fan_out / fan_in))               (consistent_rms is None; Jordan)
    consistent_rms * sqrt(max(fan_in, fan_out))  (otherwise; Liu et al. 2025)
    """

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        dims = _leaf_dims("muon", weight_dimension_numbers, updates)
        with_path, treedef = jax.tree_util.tree_flatten_with_path(updates)
        outs = []
        for (path, u), d in zip(with_path, dims, strict=True):
            _, red, out = _matrix_axes("muon", jax.tree_util.keystr(path), u.shape, d)
            fan_in = math.prod(u.shape[a] for a in red)
            fan_out = math.prod(u.shape[a] for a in out)
            if consistent_rms is None:
                factor = math.sqrt(max(1.0, fan_out / fan_in))
            else:
                factor = math.sqrt(max(fan_in, fan_out)) * consistent_rms
            outs.append((factor * u).astype(u.dtype))
        return treedef.unflatten(outs), state

    return GradientTransformation(init_empty_state, update)


def _muon_mask(weight_dimension_numbers) -> Callable[[Any], Any]:
    """params -> tree of Python bools: True for the leaves Muon handles."""

    def mask(params):
        if weight_dimension_numbers is None:
            return jax.tree.map(lambda p: jnp.ndim(p) >= 2, params)
        dims = _leaf_dims("muon", weight_dimension_numbers, params)
        leaves, treedef = jax.tree.flatten(params)
        return treedef.unflatten([d is not None for d in dims])

    return mask


@checks_float_params(complex_params=False)
def muon(
    learning_rate: ScalarOrSchedule,
    ns_coeffs: Sequence[float] | Sequence[Sequence[float]] | str = DEFAULT_NS_COEFFS,
    ns_steps: int = 5,
    beta: float | jax.Array = 0.95,
    eps: float | jax.Array = 1e-8,
    weight_decay: ScalarOrSchedule = 0.0,
    weight_decay_mask: Any = None,
    mu_dtype=None,
    *,
    nesterov: bool = True,
    adaptive: bool = False,
    preconditioning: str = "frobenius",
    adam_b1: float | jax.Array = 0.9,
    adam_b2: float | jax.Array = 0.999,
    adam_eps_root: float | jax.Array = 0.0,
    adam_weight_decay: ScalarOrSchedule = 0.0,
    adam_learning_rate: ScalarOrSchedule | None = None,
    muon_weight_dimension_numbers: Any = None,
    consistent_rms: float | jax.Array | None = None,
) -> GradientTransformation:
    """Muon for the matrices, AdamW for everything else.

    Matrix leaves (rank >= 2 by default; conv kernels are flattened to
    (fan-in, fan-out), see ``scale_by_muon``) get
        u = scale_by_muon(...)  *  shape factor  + weight_decay * p
        p_t = p_{t-1} - learning_rate * u
    with shape factor ``sqrt(max(1, fan_out / fan_in))`` (or
    ``consistent_rms * sqrt(max(fan_in, fan_out))`` when set, which matches
    AdamW's update RMS so that its learning rate and weight decay carry over).
    Scalars and vectors (biases, norm scales) get
    ``adamw(adam_learning_rate, adam_b1, adam_b2, eps, adam_eps_root, mu_dtype,
    adam_weight_decay, nesterov=nesterov)``; note that with the default
    ``nesterov=True`` this is NAdamW.

    The state is ``{"muon": MaskedState(...), "adam": MaskedState(...)}``.

    Args are those of ``scale_by_muon`` and ``adamw``, plus:
        weight_decay: >= 0, decoupled decay of the matrices, multiplied by the
            learning rate (as torch does).
        weight_decay_mask: tree of bools (or function of params) limiting it.
        adam_learning_rate: the AdamW learning rate; None uses ``learning_rate``.
        muon_weight_dimension_numbers: which leaves Muon handles and how they
            are viewed as matrices: None (every leaf of rank >= 2), or a tree
            (prefix) of ``MuonDimensionNumbers`` with None for the AdamW leaves,
            or a function of the params returning one.
        consistent_rms: > 0 or None, see above.

    optax.contrib.muon is the same, except that by default it gives leaves of
    rank > 2 to AdamW; pass ``muon_weight_dimension_numbers`` to choose.

    Complex params: not supported; ``init`` raises TypeError (wrap the optimizer in
    ``contrib.split_real_and_imaginary`` to optimize real and imaginary parts).

    References:
        Jordan et al., Muon: An optimizer for hidden layers in neural networks,
        2024, https://kellerjordan.github.io/posts/muon/.
        Liu et al., Muon is Scalable for LLM Training, 2025,
        https://arxiv.org/abs/2502.16982.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> opt = gradtx.muon(learning_rate=0.02)
        >>> params = {"w": jnp.ones((4, 3)), "b": jnp.zeros(3)}
        >>> sorted(opt.init(params).inner_states)
        ['adam', 'muon']
    """
    fn = "muon"
    check_learning_rate(fn, learning_rate)
    check_int(fn, "ns_steps", ns_steps, 0)
    ns_coeffs = ns_coefficients(fn, ns_coeffs, ns_steps)
    check_decay(fn, "beta", beta)
    check_nonnegative(fn, "eps", eps)
    check_nonnegative(fn, "weight_decay", weight_decay, schedule=True)
    check_dtype(fn, "mu_dtype", mu_dtype)
    _check_preconditioning(fn, preconditioning)
    check_decay(fn, "adam_b1", adam_b1)
    check_decay(fn, "adam_b2", adam_b2)
    check_nonnegative(fn, "adam_eps_root", adam_eps_root)
    check_nonnegative(fn, "adam_weight_decay", adam_weight_decay, schedule=True)
    if adam_learning_rate is None:
        adam_learning_rate = learning_rate
    else:
        check_learning_rate(fn, adam_learning_rate, none=True)
    if consistent_rms is not None:
        check_positive(fn, "consistent_rms", consistent_rms, none=True)

    wdn = muon_weight_dimension_numbers
    is_muon = _muon_mask(wdn)

    def is_adam(params):
        return jax.tree.map(lambda m: not m, is_muon(params))

    muon_branch = chain(
        scale_by_muon(
            ns_coeffs,
            ns_steps,
            beta,
            eps,
            mu_dtype,
            nesterov=nesterov,
            adaptive=adaptive,
            preconditioning=preconditioning,
            weight_dimension_numbers=wdn,
        ),
        _scale_by_shape(wdn, consistent_rms),
        add_decayed_weights(weight_decay, weight_decay_mask),
        scale_by_learning_rate(learning_rate),
    )
    adam_branch = adamw(
        adam_learning_rate,
        adam_b1,
        adam_b2,
        eps,
        adam_eps_root,
        mu_dtype,
        adam_weight_decay,
        nesterov=nesterov,
    )

    def labels(params):
        return jax.tree.map(lambda m: "muon" if m else "adam", is_muon(params))

    # optax's nesting: PartitionState(inner_states={"muon": MaskedState, "adam": MaskedState}).
    return partition({"muon": muon_branch, "adam": adam_branch}, labels)
