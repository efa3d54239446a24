"""Adam variants that change the first moment: NovoGrad, Adan, AdEMAMix.

AdaBelief, Yogi and ADOPT, which change the second moment, live in
``gradtx/_adam_variants.py``."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, ScalarOrSchedule, chain
from gradtx._core._numerics import (
    canonicalize_dtype,
    moving_average,
    promote_operands,
    promoted,
    safe_increment,
    zero_count,
)
from gradtx._core._validate import (
    check_nonnegative,
    checks_float_params,
    concrete_values,
    validates_through_parts,
)
from gradtx._optimizers._adam import check_adam_args
from gradtx.transforms._scaling import scale_by_learning_rate
from gradtx.tree_utils._construct import tree_zeros_like
from gradtx.tree_utils._tree_math import abs_sq, check_same_structure, leaf_dtype

# ----------------------------------------------------------------------------- NovoGrad


class ScaleByNovogradState(NamedTuple):
    """State of ``scale_by_novograd``: count, the per-element momentum ``mu``, and
    ``nu``, one scalar per param leaf: the EMA of the leaf's squared gradient norm."""

    count: jax.Array
    mu: object
    nu: object


def _check_novograd_args(fn, b1, b2, eps, eps_root, weight_decay, mu_dtype=None):
    check_adam_args(fn, b1, b2, eps, eps_root, mu_dtype)
    check_nonnegative(fn, "weight_decay", weight_decay, schedule=True)


@checks_float_params
def scale_by_novograd(
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.25,
    eps: float | jax.Array = 1e-8,
    eps_root: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
    mu_dtype=None,
) -> GradientTransformation:
    """Normalise each leaf's gradient by its running norm, add weight decay, then
    take (undamped) momentum (NovoGrad).

    The second moment is one scalar per leaf (per layer), so NovoGrad needs about
    half of Adam's memory; the normalised gradient makes it robust to the
    learning rate and to gradient scale, and it trains well without warm-up.

    Update rule (t counts from 1; ||.|| is the leaf's Euclidean norm):
        nu_1 = ||g_1||^2,   nu_t = b2 * nu_{t-1} + (1 - b2) * ||g_t||^2
        x_t  = g_t / (sqrt(nu_t + eps_root) + eps) + weight_decay * p_t
        mu_1 = x_1,         mu_t = b1 * mu_{t-1} + x_t
        u_t  = mu_t

    Note the momentum has no ``(1 - b1)`` factor: with a constant gradient the
    step grows to ``1 / (1 - b1)`` times the normalised gradient.

    Args:
        b1: momentum decay in [0, 1).
        b2: decay of the per-leaf squared norm in [0, 1).
        eps: >= 0, added outside the root.
        eps_root: >= 0, added inside the root.
        weight_decay: >= 0, or a schedule of the step count (read before the
            count is incremented). Needs ``params`` in ``update`` unless it is 0.
        mu_dtype: dtype of ``mu``; None uses each param's dtype.

    Returns:
        The transformation; its state is ``ScaleByNovogradState``.

    Raises:
        ValueError: for a concrete hyperparameter out of its range, or in
            ``update`` when weight decay is on and ``params`` is None.

    References:
        Ginsburg et al., Stochastic Gradient Methods with Layer-wise Adaptive Moments
        for Training of Deep Networks, 2019, https://arxiv.org/abs/1905.11286.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.scale_by_novograd()
        >>> g = {"w": jnp.array([3.0, 4.0])}  # ||g|| = 5
        >>> u, state = tx.update(g, tx.init(g), g)
        >>> u["w"], state.nu["w"]
        (Array([0.6, 0.8], dtype=float32), Array(25., dtype=float32))
    """
    _check_novograd_args("scale_by_novograd", b1, b2, eps, eps_root, weight_decay, mu_dtype)
    mu_dtype = canonicalize_dtype(mu_dtype)
    wd_values = concrete_values(weight_decay)
    decay_off = wd_values is not None and not wd_values.any()

    def init(params):
        return ScaleByNovogradState(
            count=zero_count(),
            mu=tree_zeros_like(params, mu_dtype),
            nu=jax.tree.map(lambda p: jnp.zeros((), leaf_dtype(p)), params),
        )

    def update(updates, state, params=None, **extra_args):
        del extra_args
        first = state.count == 0
        wd = weight_decay(state.count) if callable(weight_decay) else weight_decay
        if params is None and not decay_off:
            raise ValueError(
                "gradtx.scale_by_novograd: update needs params when weight_decay is "
                "not 0 (pass params= to update)."
            )
        # nu holds one scalar per leaf, so it cannot go through zip_map's shape check.
        check_same_structure(
            "gradtx.scale_by_novograd", updates=updates, params=params, mu=state.mu
        )
        g_leaves, treedef = jax.tree.flatten(updates)
        p_leaves = [None] * len(g_leaves) if params is None else treedef.flatten_up_to(params)
        m_leaves = treedef.flatten_up_to(state.mu)
        n_leaves = treedef.flatten_up_to(state.nu)

        def leaf(g, p, m, n):
            sq_norm = jnp.sum(abs_sq(g))
            new_n = jnp.where(first, *promote_operands(sq_norm, moving_average(n, sq_norm, b2)))
            new_n = new_n.astype(n.dtype)
            denom = promoted(jnp.add, jnp.sqrt(promoted(jnp.add, new_n, eps_root)), eps)
            x = promoted(jnp.divide, g, denom)
            if not decay_off:
                x = promoted(jnp.add, x, promoted(jnp.multiply, wd, p))
            momentum = promoted(jnp.add, promoted(jnp.multiply, b1, m), x)
            new_m = jnp.where(first, *promote_operands(x, momentum)).astype(m.dtype)
            return new_m.astype(g.dtype), new_m, new_n

        outs = [leaf(*xs) for xs in zip(g_leaves, p_leaves, m_leaves, n_leaves, strict=True)]
        updates, mu, nu = (treedef.unflatten([o[k] for o in outs]) for k in range(3))
        return updates, ScaleByNovogradState(count=safe_increment(state.count), mu=mu, nu=nu)

    return GradientTransformation(init, update)


@checks_float_params
@validates_through_parts
def novograd(
    learning_rate: ScalarOrSchedule,
    b1: float | jax.Array = 0.9,
    b2: float | jax.Array = 0.25,
    eps: float | jax.Array = 1e-6,
    eps_root: float | jax.Array = 0.0,
    weight_decay: ScalarOrSchedule = 0.0,
) -> GradientTransformation:
    """NovoGrad: ``scale_by_novograd`` then ``scale_by_learning_rate``.

        p_t = p_{t-1} - learning_rate * mu_t,  mu_t as in ``scale_by_novograd``

    Note the optimizer's ``eps`` default (1e-6) differs from the building
    block's (1e-8), as in optax.

    Complex params: supported (second moments of |g|^2, so steps keep g's phase).

    Args:
        learning_rate: >= 0, or a schedule of the step count.
        b1, b2, eps, eps_root, weight_decay: see ``scale_by_novograd``.

    References:
        Ginsburg et al., Stochastic Gradient Methods with Layer-wise Adaptive Moments
        for Training of Deep Networks, 2019.

    Example:
        >>> import gradtx, jax, jax.numpy as jnp
        >>> opt = gradtx.novograd(learning_rate=0.1)
        >>> params = jnp.array([3.0, 4.0])
        >>> state = opt.init(params)
        >>> updates, state = opt.update(jax.grad(lambda x: x @ x / 2)(params), state, params)
        >>> gradtx.apply_updates(params, updates)
        Array([2.94, 3.92], dtype=float32)
    """
    return chain(
        scale_by_novograd(b1, b2, eps, eps_root, weight_decay),
        scale_by_learning_rate(learning_rate),
    )
