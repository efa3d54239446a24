"""gradtx.tree_utils and gradtx.tree against optax.tree_utils: names, signatures, values."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradtx as gx
from gradtx import tree_utils as tu
from tests.messages import (
    MSG_GRADTX_TREE_UTILS_TREE_NORM_ORD_3,
    MSG_LEAVES_HAVE_DIFFERENT_DTYPES,
    MSG_NOT_ORDERED,
)

TREE_X = {"a": jnp.array([1.0, -2.0, 3.0]), "b": [jnp.array([[0.5, -4.0]]), jnp.array(2.0)]}
TREE_Y = {"a": jnp.array([0.5, 1.0, -1.0]), "b": [jnp.array([[2.0, 1.0]]), jnp.array(-3.0)]}


def _close(a, b, rtol=1e-12):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol)


CASES = [
    ("tree_add", (TREE_X, TREE_Y, TREE_X)),
    ("tree_sub", (TREE_X, TREE_Y)),
    ("tree_mul", (TREE_X, TREE_Y)),
    ("tree_div", (TREE_X, TREE_Y)),
    ("tree_scale", (0.5, TREE_X)),
    ("tree_add_scale", (TREE_X, -2.0, TREE_Y)),
    ("tree_vdot", (TREE_X, TREE_Y)),
    ("tree_sum", (TREE_X,)),
    ("tree_max", (TREE_X,)),
    ("tree_min", (TREE_X,)),
    ("tree_size", (TREE_X,)),
    ("tree_conj", ({"z": jnp.array([1 + 2j, 3 - 1j])},)),
    ("tree_real", ({"z": jnp.array([1 + 2j, 3 - 1j])},)),
    ("tree_clip", (TREE_X, -1.0, 1.5)),
    ("tree_where", (jnp.array(True), TREE_X, TREE_Y)),
    ("tree_zeros_like", (TREE_X,)),
    ("tree_ones_like", (TREE_X, jnp.int32)),
    ("tree_full_like", (TREE_X, 7.0)),
    ("tree_batch_shape", (TREE_X, (2, 3))),
    ("tree_cast", (TREE_X, jnp.float32)),
    ("tree_cast_like", (TREE_X, jax.tree.map(lambda x: x.astype(jnp.float32), TREE_Y))),
    ("tree_update_moment", (TREE_X, TREE_Y, 0.9, 2)),
    ("tree_update_moment_per_elem_norm", (TREE_X, TREE_Y, 0.9, 2)),
    ("tree_update_infinity_moment", (TREE_X, TREE_Y, 0.9, 1e-8)),
    ("tree_bias_correction", (TREE_X, 0.9, jnp.asarray(3))),
    ("tree_allclose", (TREE_X, TREE_X)),
    ("tree_split_key_like", (jax.random.key(0), TREE_X)),
    ("tree_random_like", (jax.random.key(0), TREE_X)),
    ("tree_unwrap_random_key_data", ([jax.random.key(1), jnp.ones(2)],)),
]


@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_same_values_as_optax(name, args):
    ours, theirs = getattr(tu, name)(*args), getattr(optax.tree_utils, name)(*args)
    if name == "tree_split_key_like":
        ours, theirs = tu.tree_unwrap_random_key_data(ours), tu.tree_unwrap_random_key_data(theirs)
    _close(ours, theirs)


@pytest.mark.parametrize("ord", [None, 1, 2, jnp.inf, "inf"])
@pytest.mark.parametrize("squared", [False, True])
def test_tree_norm_matches_optax(ord, squared):
    _close(
        tu.tree_norm(TREE_X, ord=ord, squared=squared),
        optax.tree_utils.tree_norm(TREE_X, ord=ord, squared=squared),
    )


def test_bf16_norm_accumulates_in_float32():
    x = {"w": jnp.full((4096,), 1.0 + 2.0**-7, jnp.bfloat16)}  # bf16 sum would stall
    expected = np.sqrt(4096) * (1.0 + 2.0**-7)
    norm = tu.tree_norm(x)
    assert norm.dtype == jnp.float32
    np.testing.assert_allclose(float(norm), expected, rtol=1e-6)
    assert gx.global_norm(x) == norm and float(tu.tree_sum_of_squares(x)) == pytest.approx(
        expected**2
    )
    assert tu.tree_norm({"w": jnp.ones(3, jnp.float64)}).dtype == jnp.float64


def test_tree_norm_rejects_unknown_order():
    with pytest.raises(ValueError, match=MSG_GRADTX_TREE_UTILS_TREE_NORM_ORD_3):
        tu.tree_norm(TREE_X, ord=3)


def test_tree_dtype_handlers():
    tree = {"a": jnp.ones(1, jnp.float16), "b": jnp.ones(1, jnp.float32)}
    for handler in ("promote", "highest", "lowest"):
        assert tu.tree_dtype(tree, handler) == optax.tree_utils.tree_dtype(tree, handler)
    with pytest.raises(ValueError, match=MSG_LEAVES_HAVE_DIFFERENT_DTYPES):
        tu.tree_dtype(tree)
    with pytest.raises(ValueError, match=MSG_NOT_ORDERED):
        tu.tree_dtype({"a": jnp.ones(1, jnp.int32), "b": jnp.ones(1, jnp.uint32)}, "highest")


def test_tree_map_params_matches_optax():
    params = {"w": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    specs = {"w": "model", "b": None}
    for make in (lambda m: m.adam(1e-3), lambda m: m.sgd(0.1, momentum=0.9)):
        ours = tu.tree_map_params(
            make(gx),
            lambda _, s: s,
            make(gx).init(params),
            specs,
            transform_non_params=lambda _: "x",
        )
        theirs = optax.tree_utils.tree_map_params(
            make(optax),
            lambda _, s: s,
            make(optax).init(params),
            specs,
            transform_non_params=lambda _: "x",
        )
        assert jax.tree.leaves(ours) == jax.tree.leaves(theirs)
    # an init function works as well as a transformation
    opt = gx.adam(1e-3)
    out = tu.tree_map_params(opt.init, lambda p: p + 1, opt.init(params))
    np.testing.assert_array_equal(out[0].mu["w"], np.ones((2, 3)))
    assert int(out[0].count) == 0


def _param_names(f):
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(f).parameters.values()
        if p.name not in ("sampler",)
    ]


def test_every_optax_tree_utils_name_has_optax_signature():
    for name in dir(optax.tree_utils):
        obj = getattr(optax.tree_utils, name)
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        ours = getattr(tu, name)
        if inspect.isfunction(obj):
            assert _param_names(ours) == _param_names(obj), name


def test_short_names_are_the_same_objects():
    for name in dir(optax.tree):
        if name.startswith("_") or inspect.ismodule(getattr(optax.tree, name)):
            continue
        assert getattr(gx.tree, name) is getattr(tu, f"tree_{name}"), name
    assert gx.tree.add is gx.tree_utils.tree_add
    assert (
        gx.update_moment is tu.tree_update_moment and gx.bias_correction is tu.tree_bias_correction
    )
    assert gx.tree_map_params is tu.tree_map_params


def test_moments_keep_moment_dtype_and_none_leaves():
    m = {"a": jnp.zeros(2, jnp.bfloat16), "b": jnp.zeros(1)}
    out = tu.tree_update_moment({"a": jnp.ones(2, jnp.float32), "b": None}, m, jnp.float32(0.9), 2)
    assert out["a"].dtype == jnp.bfloat16 and out["b"] is None
    # odd orders use the magnitude (optax: the signed power)
    odd = tu.tree_update_moment_per_elem_norm([jnp.array([-2.0])], [jnp.zeros(1)], 0.0, 3)
    np.testing.assert_allclose(odd[0], [8.0])


def test_tree_sum_associative_and_empty():
    assert float(tu.tree_sum(TREE_X, associative_reduction=True)) == pytest.approx(
        float(tu.tree_sum(TREE_X))
    )
    assert tu.tree_sum({}) == 0 and tu.tree_max({}) == -np.inf and tu.tree_size({}) == 0


def test_sum_of_squares_accumulates_in_the_given_dtype_and_vdot_in_the_cast_one():
    """dtype=float64 squares and sums float32 leaves in float64; complex keeps |x|^2."""
    rng = np.random.default_rng(3)
    a = {
        "w": jnp.asarray(rng.normal(size=(40,)), jnp.float32),
        "z": jnp.array([3 + 4j], jnp.complex64),
    }
    b = {
        "w": jnp.asarray(rng.normal(size=(40,)), jnp.float32),
        "z": jnp.array([1 - 2j], jnp.complex64),
    }
    wa, wb = np.asarray(a["w"], np.float64), np.asarray(b["w"], np.float64)
    sq = tu.tree_sum_of_squares(a, jnp.float64)
    assert sq.dtype == jnp.float64 and float(sq) == float(np.sum(wa * wa) + 25.0)
    assert tu.tree_sum_of_squares({"w": a["w"]}).dtype == jnp.float32  # default: float32 or wider
    assert tu.tree_sum_of_squares({}, jnp.float64).dtype == jnp.float64
    dot = tu.tree_vdot(tu.tree_cast(a, jnp.complex128), tu.tree_cast(b, jnp.complex128))
    assert dot.dtype == jnp.complex128
    np.testing.assert_allclose(dot, np.dot(wa, wb) + np.vdot([3 + 4j], [1 - 2j]), rtol=1e-14)
    assert tu.tree_vdot({"w": a["w"]}, {"w": b["w"]}).dtype == jnp.float32
