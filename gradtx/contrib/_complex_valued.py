"""Optimising complex params as pairs of real ones."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradtx._core._contract import GradientTransformation, with_extra_args_support


class SplitRealAndImaginaryArrays(NamedTuple):
    """The real and imaginary parts of one complex leaf (a pytree node)."""

    real: jax.Array
    imaginary: jax.Array


class SplitRealAndImaginaryState(NamedTuple):
    """State of ``split_real_and_imaginary``: the inner transformation's state."""

    inner_state: Any


def _is_pair(x) -> bool:
    return isinstance(x, SplitRealAndImaginaryArrays)


def _split(x):
    if x is not None and jnp.iscomplexobj(x):
        return SplitRealAndImaginaryArrays(jnp.real(x), jnp.imag(x))
    return x


def _merge(x):
    if _is_pair(x):
        return jax.lax.complex(x.real, x.imaginary)
    return x


def split_real_and_imaginary(inner: GradientTransformation) -> GradientTransformation:
    """Run ``inner`` on the real and imaginary parts of complex leaves separately.

    Each complex leaf ``z = a + ib`` (in the params and in the updates) becomes a
    ``SplitRealAndImaginaryArrays(a, b)`` node of two real leaves before ``inner``
    sees it, and the two real updates are merged back into one complex update.
    Real leaves pass through unchanged. An optimizer then treats a complex
    parameter exactly as the two real parameters it consists of: Adam's second
    moment is kept per part, not as ``|z|^2``.

    Update rule (per complex leaf):
        (u_a, u_b) = inner((Re g, Im g), (Re x, Im x))
        u = u_a + i u_b

    JAX's ``grad`` of a real loss in a complex ``z`` returns the conjugate of the
    steepest-ascent direction; conjugate it before ``update`` (see
    https://github.com/google-deepmind/optax/issues/196).

    Difference from optax: the parts are merged with ``lax.complex`` instead of
    ``a + b * 1j``, so an infinite imaginary part stays ``inf`` (optax gives a
    NaN real part: ``inf * 1j = nan + inf j``). Extra arguments (``value=`` ...)
    reach ``inner``.

    Args:
        inner: the transformation to run on the real pairs.

    Returns:
        The transformation; its state is ``SplitRealAndImaginaryState``.

    Raises:
        TypeError: ``inner`` is not an ``(init, update)`` pair.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> tx = gradtx.contrib.split_real_and_imaginary(gradtx.scale_by_adam())
        >>> z = jnp.array([1.0 + 2.0j])
        >>> u, _ = tx.update(jnp.array([3.0 - 0.5j]), tx.init(z), z)
        >>> u.round(4)  # Adam's first step on each part: sign(Re g) + i sign(Im g)
        Array([1.-1.j], dtype=complex64)
    """
    if not (isinstance(inner, tuple) and len(inner) == 2 and all(map(callable, inner))):
        raise TypeError(
            "gradtx.contrib.split_real_and_imaginary(inner=...): inner must be a "
            f"GradientTransformation (an (init, update) pair); got {type(inner).__name__}."
        )
    inner = with_extra_args_support(GradientTransformation(*inner))

    def init(params):
        return SplitRealAndImaginaryState(inner.init(jax.tree.map(_split, params)))

    def update(updates, state, params=None, **extra_args):
        updates = jax.tree.map(_split, updates)
        params = jax.tree.map(_split, params)
        new_updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
        merged = jax.tree.map(_merge, new_updates, is_leaf=_is_pair)
        return merged, SplitRealAndImaginaryState(inner_state)

    return GradientTransformation(init, update)
