"""Registry entries for the core building blocks and optimizers (issue 2)."""

import jax.numpy as jnp
from registry import Entry

import gradtx as gx

ENTRIES = [
    Entry("identity", gx.identity),
    Entry("set_to_zero", gx.set_to_zero),
    Entry("stateless", lambda: gx.stateless(lambda u, p: jax_tree_neg(u))),
    Entry("stateless_with_tree_map", lambda: gx.stateless_with_tree_map(lambda u, p: 2 * u)),
    Entry("chain", lambda: gx.chain(gx.clip(1.0), gx.scale(-0.1))),
    Entry("named_chain", lambda: gx.named_chain(("clip", gx.clip(1.0)), ("lr", gx.scale(-0.1)))),
    Entry("scale", lambda: gx.scale(0.5)),
    Entry("scale_array", lambda: gx.scale(jnp.asarray(0.5, jnp.float32))),
    Entry("scale_by_learning_rate", lambda: gx.scale_by_learning_rate(0.1)),
    Entry(
        "scale_by_learning_rate_schedule",
        lambda: gx.scale_by_learning_rate(lambda c: 0.1 / (1 + c)),
    ),
    Entry("scale_by_schedule", lambda: gx.scale_by_schedule(lambda c: 0.99**c)),
    Entry("trace", lambda: gx.trace(0.9)),
    Entry("trace_nesterov", lambda: gx.trace(0.9, nesterov=True)),
    Entry("ema", lambda: gx.ema(0.9)),
    Entry("ema_nodebias", lambda: gx.ema(0.9, debias=False)),
    Entry("scale_by_rss", gx.scale_by_rss),
    Entry("scale_by_rms", gx.scale_by_rms),
    Entry("scale_by_rms_bc", lambda: gx.scale_by_rms(eps_in_sqrt=False, bias_correction=True)),
    Entry("scale_by_stddev", gx.scale_by_stddev),
    Entry("scale_by_adadelta", gx.scale_by_adadelta),
    Entry("scale_by_adam", gx.scale_by_adam),
    Entry("scale_by_adam_nesterov", lambda: gx.scale_by_adam(nesterov=True)),
    Entry(
        "scale_by_adam_lowp", lambda: gx.scale_by_adam(mu_dtype=jnp.bfloat16, nu_dtype=jnp.float32)
    ),
    Entry("scale_by_amsgrad", gx.scale_by_amsgrad),
    Entry("scale_by_adamax", gx.scale_by_adamax),
    Entry("add_decayed_weights", lambda: gx.add_decayed_weights(1e-2)),
    Entry("add_decayed_weights_schedule", lambda: gx.add_decayed_weights(lambda c: 1e-2 * 0.9**c)),
    Entry("masked", lambda: gx.masked(gx.scale_by_adam(), lambda p: jax_tree_alternate(p))),
    Entry("clip", lambda: gx.clip(0.5)),
    Entry("clip_by_global_norm", lambda: gx.clip_by_global_norm(0.5)),
    Entry("sgd", lambda: gx.sgd(0.1), optimizer=True),
    Entry("sgd_momentum", lambda: gx.sgd(0.1, momentum=0.9), optimizer=True),
    Entry("sgd_nesterov", lambda: gx.sgd(0.1, momentum=0.9, nesterov=True), optimizer=True),
    Entry("adagrad", lambda: gx.adagrad(0.1), optimizer=True),
    Entry("rmsprop", lambda: gx.rmsprop(0.01), optimizer=True),
    Entry(
        "rmsprop_centered_momentum",
        lambda: gx.rmsprop(0.01, centered=True, momentum=0.9, nesterov=True),
        optimizer=True,
    ),
    Entry(
        "rmsprop_torchlike",
        lambda: gx.rmsprop(0.01, decay=0.99, eps_in_sqrt=False, bias_correction=True),
        optimizer=True,
    ),
    Entry("adadelta", lambda: gx.adadelta(1.0), optimizer=True),
    Entry("adadelta_wd", lambda: gx.adadelta(1.0, weight_decay=1e-2), optimizer=True),
    Entry("adam", lambda: gx.adam(0.01), optimizer=True),
    Entry("adamw", lambda: gx.adamw(0.01), optimizer=True),
    Entry(
        "adamw_mask",
        lambda: gx.adamw(0.01, weight_decay=0.1, mask=jax_tree_alternate),
        optimizer=True,
    ),
    Entry("nadam", lambda: gx.nadam(0.01), optimizer=True),
    Entry("nadamw", lambda: gx.nadamw(0.01), optimizer=True),
    Entry("amsgrad", lambda: gx.amsgrad(0.01), optimizer=True),
    Entry("adamax", lambda: gx.adamax(0.01), optimizer=True),
    Entry("adamaxw", lambda: gx.adamaxw(0.01), optimizer=True),
]


def jax_tree_neg(tree):
    import jax

    return jax.tree.map(lambda x: -x, tree)


def jax_tree_alternate(params):
    """A mask: True on every other leaf, in flattening order."""
    import jax

    leaves, treedef = jax.tree.flatten(params)
    return treedef.unflatten([i % 2 == 0 for i in range(len(leaves))])
