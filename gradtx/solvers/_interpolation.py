"""Safeguard-free polynomial step interpolation shared by the line searches.

Both return the stationary point of a polynomial fitted to values (and one slope)
along the search line; the caller decides whether the point is usable (it may be
NaN or fall outside the bracket).
"""

from __future__ import annotations

import jax.numpy as jnp


def quadratic_minimizer(a, fa, dfa, b, fb):
    """Stationary point of the parabola through ``(a, fa)``, ``(b, fb)`` with slope ``dfa`` at a.

    With ``q(t) = fa + dfa (t - a) + c (t - a)^2`` and
    ``c = (fb - fa - dfa (b - a)) / (b - a)^2``, the point is ``a - dfa / (2 c)``.
    """
    d = b - a
    c = (fb - fa - dfa * d) / (d * d)
    return a - dfa / (2.0 * c)


def cubic_minimizer(a, fa, dfa, b, fb, c, fc):
    """Stationary point of the cubic through ``(a, fa)``, ``(b, fb)``, ``(c, fc)``, slope ``dfa`` at a.

    The cubic is ``p(t) = A s^3 + B s^2 + dfa s + fa`` with ``s = t - a``; solving
    the two interpolation conditions for ``A`` and ``B`` (Nocedal and Wright,
    eq. 3.59, as in scipy's line search) gives the local minimizer
    ``a + (-B + sqrt(B^2 - 3 A dfa)) / (3 A)``, NaN when the radicand is negative.
    """
    db, dc = b - a, c - a
    rb = fb - fa - dfa * db
    rc = fc - fa - dfa * dc
    denom = (db * dc) ** 2 * (db - dc)
    big_a = (dc * dc * rb - db * db * rc) / denom
    big_b = (db * db * db * rc - dc * dc * dc * rb) / denom
    radicand = big_b * big_b - 3.0 * big_a * dfa
    return a + (-big_b + jnp.sqrt(radicand)) / (3.0 * big_a)
