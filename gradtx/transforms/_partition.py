"""Routing parts of the params to different transformations, and related wrappers.

``partition`` sends each leaf to the transformation of its label; ``labels_by_regex``
and ``mask_by_regex`` build labels and masks from the leaves' paths; ``freeze``
zeroes chosen leaves; ``flatten`` runs a transformation on one raveled vector;
``conditionally_transform`` and ``conditionally_mask`` run it only at some steps."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradtx._core._contract import GradientTransformation, set_to_zero, with_extra_args_support
from gradtx.transforms._masking import map_with_prefix, masked
from gradtx.tree_utils._sharding import gather_explicit, reshard_like
from gradtx.tree_utils._tree_math import leaf_dtype


class PartitionState(NamedTuple):
    """State of ``partition``: one inner state per label, in a dict keyed by label."""

    inner_states: dict


# optax's older names for the same thing.
MultiTransformState = PartitionState


def _labels_tree(fn: str, param_labels, params):
    labels = param_labels(params) if callable(param_labels) else param_labels
    # Checks that the labels are a prefix of the params; names the first bad path.
    map_with_prefix(fn, "param_labels", lambda lab, sub: None, labels, params)
    return labels


def _check_labels(fn: str, labels, transforms: Mapping) -> None:
    for path, label in jax.tree_util.tree_flatten_with_path(labels)[0]:
        try:
            known = label in transforms
        except TypeError:
            known = False
        if not known:
            where = jax.tree_util.keystr(path) or "<root>"
            raise ValueError(
                f"gradtx.{fn}: the params at path {where} have label {label!r}, which has no "
                f"transformation; transforms has labels {sorted(map(repr, transforms))}. "
                f"Add a transformation for it (gradtx.set_to_zero() freezes those params)."
            )


def partition(
    transforms: Mapping[Hashable, GradientTransformation],
    param_labels: Any | Callable[[Any], Any],
    *,
    mask_compatible_extra_args: bool = False,
) -> GradientTransformation:
    """Apply a different transformation to each group of params, chosen by label.

    Every leaf of the params carries a label (a leaf of ``param_labels``); the
    leaf's updates go through ``transforms[label]`` only, and that
    transformation holds state only for the leaves with its label. Use it for
    different optimizers or hyperparameters per part of a model, for example no
    weight decay on biases and norm scales.

    Args:
        transforms: a mapping from label to transformation.
        param_labels: a tree of labels with the params' structure (or a prefix of
            it: one label then covers a whole subtree), or a function of the
            params returning one. ``labels_by_regex`` builds such a function
            from patterns on the leaves' paths.
        mask_compatible_extra_args: also split extra args whose tree structure
            equals the updates' (see ``masked``).

    Returns:
        The transformation; its state is ``PartitionState`` (``inner_states``, a
        dict keyed by label).

    Raises:
        ValueError: a label with no transformation, or labels that are not a
            prefix of the params, naming the first offending path.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones(2)}}
        >>> labels = gradtx.labels_by_regex([(r"bias$", "no_decay")], default="decay")
        >>> opt = gradtx.partition(
        ...     {"decay": gradtx.adamw(1e-3, weight_decay=0.1), "no_decay": gradtx.adam(1e-3)},
        ...     labels)
        >>> state = opt.init(params)
    """
    fn = "partition"
    if not isinstance(transforms, Mapping):
        raise TypeError(
            f"gradtx.{fn}(transforms=...): transforms must be a mapping from label to "
            f"transformation; got {type(transforms).__name__}."
        )
    transforms = {
        k: with_extra_args_support(GradientTransformation(*t)) for k, t in transforms.items()
    }

    def masks(labels):
        return {k: jax.tree.map(lambda lab, k=k: bool(lab == k), labels) for k in transforms}

    def init(params):
        labels = _labels_tree(fn, param_labels, params)
        _check_labels(fn, labels, transforms)
        return PartitionState(
            {
                k: masked(t, m, mask_compatible_extra_args=mask_compatible_extra_args).init(params)
                for (k, t), m in zip(transforms.items(), masks(labels).values(), strict=True)
            }
        )

    def update(updates, state, params=None, **extra_args):
        labels = _labels_tree(fn, param_labels, updates if params is None else params)
        _check_labels(fn, labels, transforms)
        new_states = {}
        for (k, t), m in zip(transforms.items(), masks(labels).values(), strict=True):
            tx = masked(t, m, mask_compatible_extra_args=mask_compatible_extra_args)
            updates, new_states[k] = tx.update(updates, state.inner_states[k], params, **extra_args)
        return updates, PartitionState(new_states)

    return GradientTransformation(init, update)


# optax's older name for ``partition``.
multi_transform = partition


def path_to_str(path: tuple) -> str:
    """A leaf's key path as ``"a/b/0/c"``: dict keys, sequence indices and
    attribute names joined by ``/``; the form ``labels_by_regex`` matches against."""
    parts = []
    for k in path:
        if isinstance(k, jax.tree_util.DictKey):
            parts.append(str(k.key))
        elif isinstance(k, jax.tree_util.SequenceKey):
            parts.append(str(k.idx))
        elif isinstance(k, jax.tree_util.GetAttrKey):
            parts.append(k.name)
        elif isinstance(k, jax.tree_util.FlattenedIndexKey):
            parts.append(str(k.key))
        else:
            parts.append(str(k))
    return "/".join(parts)


def labels_by_regex(
    rules: Sequence[tuple[str, Hashable]] | Mapping[str, Hashable],
    default: Hashable | None = None,
) -> Callable[[Any], Any]:
    """A ``param_labels`` function for ``partition``: label leaves by regex on their path.

    Each leaf's path is written ``"layer1/dense/bias"`` (dict keys, sequence
    indices and attribute names joined by ``/``, see ``path_to_str``). The first
    rule whose pattern is found in the path (``re.search``; anchor with ``^`` and
    ``$`` for a full match) gives the label; no match gives ``default``.

    Args:
        rules: ``[(pattern, label), ...]`` in priority order (or a dict).
        default: the label of leaves no rule matches. None makes such a leaf an
            error that names its path.

    Returns:
        A function of the params returning a tree of labels (None leaves stay None).

    Raises:
        ValueError: an invalid pattern (at construction), or a leaf matching no
            rule when ``default`` is None (when called).

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones(2)},
        ...           "norm": {"scale": jnp.ones(2)}}
        >>> label_fn = gradtx.labels_by_regex([(r"bias|scale", "no_decay")], default="decay")
        >>> label_fn(params)
        {'dense': {'bias': 'no_decay', 'kernel': 'decay'}, 'norm': {'scale': 'no_decay'}}
    """
    items = list(rules.items()) if isinstance(rules, Mapping) else list(rules)
    compiled = []
    for i, rule in enumerate(items):
        if not (isinstance(rule, tuple | list) and len(rule) == 2 and isinstance(rule[0], str)):
            raise TypeError(
                f"gradtx.labels_by_regex(rules=...): rule {i} must be a (pattern, label) pair "
                f"with a string pattern; got {rule!r}."
            )
        try:
            compiled.append((re.compile(rule[0]), rule[1]))
        except re.error as e:
            raise ValueError(
                f"gradtx.labels_by_regex(rules=...): rule {i} has an invalid pattern "
                f"{rule[0]!r}: {e}."
            ) from None

    def label_fn(params):
        def label(path, leaf):
            del leaf
            name = path_to_str(path)
            for rx, lab in compiled:
                if rx.search(name):
                    return lab
            if default is None:
                raise ValueError(
                    f"gradtx.labels_by_regex: the leaf at path {name!r} matches no rule and no "
                    f"default label was given; patterns: {[rx.pattern for rx, _ in compiled]}."
                )
            return default

        return jax.tree_util.tree_map_with_path(label, params)

    return label_fn


def mask_by_regex(patterns: str | Sequence[str], *, invert: bool = False) -> Callable[[Any], Any]:
    """A mask function (for ``masked``, ``add_decayed_weights(mask=...)``, ``adamw``,
    ``freeze``) that is True on leaves whose path matches one of ``patterns``.

    Paths and matching as in ``labels_by_regex``. ``invert=True`` gives True on
    the leaves that match none of the patterns: the usual weight-decay mask.

    Example:
        >>> import gradtx
        >>> decay_mask = gradtx.mask_by_regex(r"bias|scale|norm", invert=True)
        >>> opt = gradtx.adamw(1e-3, weight_decay=0.05, mask=decay_mask)
    """
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    return labels_by_regex([(p, not invert) for p in patterns], default=invert)


def freeze(mask: bool | Any | Callable[[Any], Any]) -> GradientTransformation:
    """Zero the updates of the leaves where ``mask`` is True (freeze them).

    Frozen leaves get zero updates and no state; the others pass through
    unchanged. Chain it before an optimizer so the optimizer sees zero
    gradients for frozen leaves, or use ``selective_transform`` to keep them out
    of the optimizer's state as well.

    Args:
        mask: a bool (freeze everything or nothing), a tree of bools with the
            params' structure or a prefix of it, or a function of the params
            returning one (e.g. ``mask_by_regex``). Static.

    Returns:
        The transformation; its state is ``MaskedState``.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = {"a": jnp.ones(2), "b": jnp.ones(2)}
        >>> tx = gradtx.freeze({"a": True, "b": False})
        >>> tx.update(params, tx.init(params))[0]["a"]
        Array([0., 0.], dtype=float32)
    """
    return masked(set_to_zero(), mask)


def selective_transform(
    optimizer: GradientTransformation, *, freeze_mask: bool | Any | Callable[[Any], Any]
) -> GradientTransformation:
    """Run ``optimizer`` on the leaves where ``freeze_mask`` is False; zero the rest.

    Unlike ``chain(freeze(mask), optimizer)``, the frozen leaves hold no
    optimizer state and their updates are exactly zero whatever the optimizer
    does (weight decay included).

    Args:
        optimizer: the transformation for the trainable leaves.
        freeze_mask: as ``freeze``'s ``mask``: True marks a frozen leaf.

    Returns:
        The transformation; its state is ``PartitionState`` with labels
        ``"train"`` and ``"freeze"``.
    """

    def label_fn(params):
        m = freeze_mask(params) if callable(freeze_mask) else freeze_mask
        return jax.tree.map(lambda f: "freeze" if f else "train", m)

    return partition({"train": optimizer, "freeze": set_to_zero()}, label_fn)


def _ravel(tree) -> jax.Array:
    # One vector of all leaves: under an explicit mesh the leaves are gathered first.
    leaves = [jnp.ravel(gather_explicit(x)) for x in jax.tree.leaves(tree)]
    if not leaves:
        return jnp.zeros((0,), jnp.float32)
    return jnp.concatenate(leaves)


def _unravel(like, flat: jax.Array):
    leaves, treedef = jax.tree.flatten(like)
    out, start = [], 0
    for x in leaves:
        n = int(np.size(x))
        piece = flat[start : start + n].reshape(jnp.shape(x))
        if not jnp.iscomplexobj(x):
            piece = jnp.real(piece)
        out.append(reshard_like(piece.astype(leaf_dtype(x)), x))
        start += n
    return treedef.unflatten(out)


def flatten(inner: GradientTransformation) -> GradientTransformation:
    """Run ``inner`` on one vector that holds all the leaves, raveled and concatenated.

    Many small leaves then cost one fused operation instead of one per leaf, at
    the price of a copy. For an elementwise ``inner`` (Adam, RMSProp, ...) the
    result equals ``inner`` on the tree; transformations that use a leaf's shape
    (per-matrix norms, factored moments) see a vector instead. The vector has
    the promoted dtype of the leaves; updates come back in each leaf's dtype.

    Returns:
        The transformation; its state is ``inner``'s state for the flat vector.

    Example:
        >>> import gradtx, jax.numpy as jnp
        >>> params = {"w": jnp.ones((2, 3)), "b": jnp.ones(3)}
        >>> opt = gradtx.flatten(gradtx.adam(1e-3))
        >>> opt.init(params)[0].mu.shape  # one vector of 2 * 3 + 3 entries
        (9,)
    """
    inner = with_extra_args_support(inner)

    def init(params):
        if any(isinstance(x, jax.ShapeDtypeStruct) for x in jax.tree.leaves(params)):
            return inner.init(jax.eval_shape(_ravel, params))
        return inner.init(_ravel(params))

    def update(updates, state, params=None, **extra_args):
        flat_params = None if params is None else _ravel(params)
        flat, state = inner.update(_ravel(updates), state, flat_params, **extra_args)
        return _unravel(updates, flat), state

    return GradientTransformation(init, update)
