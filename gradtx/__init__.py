"""gradtx: composable gradient transformations for JAX.

Design:
- A transformation is a pure ``(init, update)`` pair. ``init(params)`` reads only
  the params' structure, shapes and dtypes. ``update(updates, state, params=None,
  **extra_args)`` returns ``(updates, state)``.
- State is a pytree of arrays (a ``<Factory>State`` NamedTuple, ``count`` first)
  whose structure never depends on a flag and whose dtypes never change between
  steps, so it can be carried through ``lax.scan`` and ``lax.cond``.
- Updates keep the params' tree structure and the gradients' dtypes; None leaves
  pass through.
- Extra keyword arguments (``value=loss``, ...) flow down a chain; a
  transformation ignores those it does not use.
- Hyperparameters accept Python numbers, JAX arrays (traced or not) and, where it
  makes sense, schedules. Closed-over Python values are compile-time constants;
  use ``inject_hyperparams`` to keep them in state instead.
- ``import gradtx as optax`` works: public names, argument names and defaults
  follow optax where optax has the same thing.
"""

from gradtx._adam import ScaleByAdamaxState as ScaleByAdamaxState
from gradtx._adam import ScaleByAdamState as ScaleByAdamState
from gradtx._adam import ScaleByAmsgradState as ScaleByAmsgradState
from gradtx._adam import adam as adam
from gradtx._adam import adamax as adamax
from gradtx._adam import adamaxw as adamaxw
from gradtx._adam import adamw as adamw
from gradtx._adam import amsgrad as amsgrad
from gradtx._adam import nadam as nadam
from gradtx._adam import nadamw as nadamw
from gradtx._adam import scale_by_adam as scale_by_adam
from gradtx._adam import scale_by_adamax as scale_by_adamax
from gradtx._adam import scale_by_amsgrad as scale_by_amsgrad
from gradtx._adaptive import ScaleByAdadeltaState as ScaleByAdadeltaState
from gradtx._adaptive import ScaleByRmsState as ScaleByRmsState
from gradtx._adaptive import ScaleByRssState as ScaleByRssState
from gradtx._adaptive import ScaleByStddevState as ScaleByStddevState
from gradtx._adaptive import adadelta as adadelta
from gradtx._adaptive import adagrad as adagrad
from gradtx._adaptive import rmsprop as rmsprop
from gradtx._adaptive import scale_by_adadelta as scale_by_adadelta
from gradtx._adaptive import scale_by_rms as scale_by_rms
from gradtx._adaptive import scale_by_rss as scale_by_rss
from gradtx._adaptive import scale_by_stddev as scale_by_stddev

# ---- issue 3a: adaptive variants (radam, adabelief, yogi, novograd, adan, adopt, ademamix) ----
# ---- end issue 3a ----
# ---- issue 3b: sign, trust-ratio, factored and misc transforms ----
# ---- end issue 3b ----
# ---- issue 3c: muon, schedule_free, prodigy, sophia ----
# ---- end issue 3c ----
# ---- issue 3d: torch.optim equivalents ----
# ---- end issue 3d ----
# ---- issue 4a: schedules ----
# ---- end issue 4a ----
# ---- issue 4b: inject_hyperparams, tree_get/tree_set, wrappers, monitoring ----
# ---- end issue 4b ----
# ---- issue 5: performance ----
from gradtx._base import EagerJit as EagerJit
from gradtx._base import EmptyState as EmptyState
from gradtx._base import GradientTransformation as GradientTransformation
from gradtx._base import GradientTransformationExtraArgs as GradientTransformationExtraArgs
from gradtx._base import OptState as OptState
from gradtx._base import Params as Params
from gradtx._base import ScalarOrSchedule as ScalarOrSchedule
from gradtx._base import Schedule as Schedule
from gradtx._base import TransformInitFn as TransformInitFn
from gradtx._base import TransformUpdateFn as TransformUpdateFn
from gradtx._base import Updates as Updates
from gradtx._base import apply_updates as apply_updates
from gradtx._base import chain as chain
from gradtx._base import eager_jit as eager_jit
from gradtx._base import identity as identity
from gradtx._base import named_chain as named_chain
from gradtx._base import set_eager_jit as set_eager_jit
from gradtx._base import set_to_zero as set_to_zero
from gradtx._base import stateless as stateless
from gradtx._base import stateless_with_tree_map as stateless_with_tree_map
from gradtx._base import with_extra_args_support as with_extra_args_support
from gradtx._clipping import clip as clip
from gradtx._clipping import clip_by_global_norm as clip_by_global_norm
from gradtx._clipping import global_norm as global_norm
from gradtx._grouped import GroupedLeaves as GroupedLeaves
from gradtx._grouped import group_leaves as group_leaves
from gradtx._grouped import ungroup_leaves as ungroup_leaves
from gradtx._masking import AddDecayedWeightsState as AddDecayedWeightsState
from gradtx._masking import MaskedNode as MaskedNode
from gradtx._masking import MaskedState as MaskedState
from gradtx._masking import add_decayed_weights as add_decayed_weights
from gradtx._masking import masked as masked
from gradtx._momentum import EmaState as EmaState
from gradtx._momentum import TraceState as TraceState
from gradtx._momentum import ema as ema
from gradtx._momentum import sgd as sgd
from gradtx._momentum import trace as trace
from gradtx._numerics import safe_increment as safe_increment
from gradtx._numerics import safe_int32_increment as safe_int32_increment
from gradtx._scaling import ScaleByScheduleState as ScaleByScheduleState
from gradtx._scaling import scale as scale
from gradtx._scaling import scale_by_learning_rate as scale_by_learning_rate
from gradtx._scaling import scale_by_schedule as scale_by_schedule

# ---- end issue 5 ----

__version__ = "0.1.0"
