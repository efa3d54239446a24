"""Registry entries for the contract and combinators (gradtx._core)."""

import gradtx as gx
from tests.registry._entry import Entry
from tests.registry._support import tree_neg

ENTRIES = [
    Entry("identity", gx.identity),
    Entry("set_to_zero", gx.set_to_zero),
    Entry("stateless", lambda: gx.stateless(lambda u, p: tree_neg(u))),
    Entry("stateless_with_tree_map", lambda: gx.stateless_with_tree_map(lambda u, p: 2 * u)),
    Entry("chain", lambda: gx.chain(gx.clip(1.0), gx.scale(-0.1))),
    Entry("named_chain", lambda: gx.named_chain(("clip", gx.clip(1.0)), ("lr", gx.scale(-0.1)))),
    Entry(
        "sgd_reduce_on_plateau",
        lambda: gx.chain(gx.sgd(0.1), gx.reduce_on_plateau(patience=1, accumulation_size=2)),
        extra_args={"value": 1.0},
        optimizer=True,
    ),
]
