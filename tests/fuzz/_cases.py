"""What the fuzz suite fuzzes: every numeric hyperparameter of every registry factory.

``PAIRS`` lists one ``Pair`` per (public factory, numeric argument), found from the
signature of the factory behind each registry entry (tests/registry/_rebuild.py)
and the value the entry passes (or the default). ``spec(pair)`` reads the valid
range from the library's own message for a NaN (``... must be in [0, 1); got
nan.``), so the suite checks that a factory accepts every value inside the range
it states and rejects every value outside it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
import warnings
from typing import Any

import numpy as np

from tests.registry import ALL
from tests.registry._rebuild import Recipe, recipe

__all__ = ["PAIRS", "Pair", "Spec", "fn_pattern", "spec"]

# Arguments that are numbers in the signature but not hyperparameters with a range:
# a proximal operator's parameters (any pytree the operator takes), a printing period
# read only when verbose=True.
NOT_HYPERPARAMETERS = {
    ("coordinate_descent", "prox_hyperparams"),
    ("fista", "prox_hyperparams"),
    ("proximal_gradient", "prox_hyperparams"),
    ("scale_by_sophia", "print_win_rate_every_n_steps"),
    ("sophia", "print_win_rate_every_n_steps"),
}


@dataclasses.dataclass(frozen=True)
class Pair:
    entry: str  # the first registry entry built by this factory
    fn: str  # the factory's public name
    arg: str
    value: Any  # the value the entry passes (a valid one)
    recipe: Recipe = dataclasses.field(compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"{self.fn}.{self.arg}"

    def build(self, value):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.recipe.factory(**{**self.recipe.kwargs, self.arg: value})


def _is_number(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return getattr(v, "shape", None) == () and np.asarray(v).dtype.kind in "iuf"


def _pairs() -> list[Pair]:
    seen: dict[tuple[str, str], Pair] = {}
    for entry in ALL:
        r = recipe(entry)
        if r is None:
            continue
        fn = r.factory.__name__
        for name, p in inspect.signature(r.factory).parameters.items():
            v = r.kwargs.get(name, p.default)
            if _is_number(v) and (fn, name) not in NOT_HYPERPARAMETERS:
                seen.setdefault((fn, name), Pair(entry.name, fn, name, v, r))
    return sorted(seen.values(), key=lambda p: p.id)


PAIRS: list[Pair] = _pairs()


@dataclasses.dataclass(frozen=True)
class Spec:
    """The valid values of one argument, as its error message states them."""

    kind: str  # "interval", "int" (an int >= low), or "unstated" (no range in the message)
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True

    def contains(self, x: float) -> bool:
        if math.isnan(x):
            return False
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below


_INTERVAL = re.compile(r"must be in ([\[(])([^,]+), ([^\])]+)([\])])")
_AT_LEAST = re.compile(r"must be (?:an int )?>= ?(-?[\d.e+-]+)")


def fn_pattern(fn: str) -> re.Pattern:
    """The function as a message must name it: ``gradtx.adam`` or ``gradtx.contrib.dog``."""
    return re.compile(rf"gradtx\.(?:\w+\.)*{re.escape(fn)}\b")


def _probe(pair: Pair, value) -> str | None:
    try:
        pair.build(value)
    except (ValueError, TypeError) as e:
        return str(e)
    return None


@functools.cache
def spec(pair: Pair) -> Spec:
    is_int = isinstance(pair.value, int | np.integer)
    msg = _probe(pair, -(10**9) if is_int else math.nan) or ""
    if "must be an int" in msg or (is_int and _probe(pair, 1.5)):
        m = _AT_LEAST.search(msg) or _AT_LEAST.search(_probe(pair, -(10**9)) or "")
        return Spec("int", low=float(m.group(1)) if m else -math.inf, low_open=False)
    m = _INTERVAL.search(msg)
    if m is None and is_int:
        m = _INTERVAL.search(_probe(pair, -(10**9)) or "")
    if m is None:
        return Spec("unstated")
    lo, hi = (float(x.replace("inf", "inf")) for x in (m.group(2), m.group(3)))
    return Spec("interval", lo, hi, m.group(1) == "(", m.group(4) == ")")
