"""Newton-Schulz iterations that orthogonalise a matrix (Muon's direction), and their coefficients."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._numerics import promoted_dtype
from gradtx.tree_utils._sharding import gather_explicit, reshard_like

DEFAULT_NS_COEFFS = (3.4445, -4.7750, 2.0315)


# Per-step coefficients from Ahn et al. (Dion), one row per Newton-Schulz step.
_DION_NS_COEFFS = (
    (4.0848, -6.8946, 2.9270),
    (3.9505, -6.3029, 2.6377),
    (3.7418, -5.5913, 2.3037),
    (2.8769, -3.1427, 1.2046),
    (2.8366, -3.0525, 1.2012),
)


_NS_COEFFS_PRESETS = {"standard": DEFAULT_NS_COEFFS, "dion": _DION_NS_COEFFS}


def _ns_step(x, c, a=None):
    # One quintic step X <- c0 X + (c1 A + c2 A^2) X with A = X X^H.
    if a is None:
        a = x @ x.T.conj()
    b = c[1] * a + c[2] * (a @ a)
    return c[0] * x + b @ x


def _first_step(x, c, preconditioning: str, eps):
    if preconditioning == "aol":
        # Almost-orthogonal-layer rescaling: row i divided by sqrt(sum_j |A_ij|).
        a = x @ x.T.conj()
        s = jax.lax.rsqrt(jnp.maximum(jnp.abs(a).sum(axis=-1), eps))[:, None]
        return _ns_step(x * s, c, a * s * s.T)
    if preconditioning == "schatten":
        # Divide by the Schatten-4 norm, ||X X^T||_F ** 1/2.
        a = x @ x.T
        s = jax.lax.rsqrt(jnp.maximum(jnp.sqrt(jnp.sum(jnp.abs(a) ** 2)), eps))
        return _ns_step(x * s, c, a * s**2)
    return _ns_step(x, c)


def _orthogonalize(x, coeffs, ns_steps: int, preconditioning: str, eps):
    """Approximately replace the singular values of the matrix ``x`` by ~1."""
    transposed = x.shape[0] > x.shape[1]
    if transposed:  # iterate on the smaller Gram matrix
        x = x.T
    if preconditioning in ("frobenius", "spectral"):
        wide = promoted_dtype(x.dtype, jnp.float32)
        ord_ = None if preconditioning == "frobenius" else 2
        norm = jnp.linalg.norm(x.astype(wide), ord=ord_).astype(x.dtype)
        x = x / (norm + eps)
    coeffs = coeffs.astype(x.dtype)
    rows = [coeffs] * ns_steps if coeffs.ndim == 1 else list(coeffs)
    for i, c in enumerate(rows):
        x = _first_step(x, c, preconditioning, eps) if i == 0 else _ns_step(x, c)
    return x.T if transposed else x


def orthogonalize_leaf(x, axes, coeffs, ns_steps, preconditioning, eps):
    # The iteration needs whole matrices: under an explicit mesh, gather the leaf
    # (and put the result back in its sharding); otherwise XLA partitions it.
    leaf, x = x, gather_explicit(x)
    batch, red, out = axes
    perm = batch + red + out
    shape = x.shape
    flat = jnp.transpose(x, perm).reshape(
        math.prod(shape[a] for a in batch),
        math.prod(shape[a] for a in red),
        math.prod(shape[a] for a in out),
    )
    if flat.shape[0] == 1:
        y = _orthogonalize(flat[0], coeffs, ns_steps, preconditioning, eps)[None]
    else:
        y = jax.vmap(lambda m: _orthogonalize(m, coeffs, ns_steps, preconditioning, eps))(flat)
    y = y.reshape(tuple(shape[a] for a in perm))
    return reshard_like(jnp.transpose(y, tuple(np.argsort(perm))), leaf)


def ns_coefficients(fn: str, ns_coeffs, ns_steps: int):
    if isinstance(ns_coeffs, str):
        if ns_coeffs not in _NS_COEFFS_PRESETS:
            raise ValueError(
                f"gradtx.{fn}(ns_coeffs={ns_coeffs!r}): unknown preset; use one of "
                f"{', '.join(repr(k) for k in _NS_COEFFS_PRESETS)} or a (3,) / (n, 3) array."
            )
        ns_coeffs = _NS_COEFFS_PRESETS[ns_coeffs]
    shape = np.shape(ns_coeffs)
    if len(shape) not in (1, 2) or shape[-1] != 3:
        raise ValueError(
            f"gradtx.{fn}(ns_coeffs=...): ns_coeffs must have shape (3,) or (n, 3); "
            f"got shape {shape}."
        )
    if len(shape) == 2 and shape[0] > ns_steps:
        raise ValueError(
            f"gradtx.{fn}(ns_steps={ns_steps}): ns_coeffs has {shape[0]} rows, one per "
            f"Newton-Schulz step, so ns_steps must be >= {shape[0]}; got {ns_steps}."
        )
    return ns_coeffs
