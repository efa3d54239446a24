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

# ruff: noqa: I001  (grouped by family on purpose)

# The contract and combinators
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
from gradtx._numerics import safe_increment as safe_increment
from gradtx._numerics import safe_int32_increment as safe_int32_increment
from gradtx._grouped import GroupedLeaves as GroupedLeaves
from gradtx._grouped import group_leaves as group_leaves
from gradtx._grouped import ungroup_leaves as ungroup_leaves

# Scaling, clipping, momentum
from gradtx._scaling import ScaleByScheduleState as ScaleByScheduleState
from gradtx._scaling import scale as scale
from gradtx._scaling import scale_by_learning_rate as scale_by_learning_rate
from gradtx._scaling import scale_by_schedule as scale_by_schedule
from gradtx._clipping import clip as clip
from gradtx._clipping import clip_by_global_norm as clip_by_global_norm
from gradtx._clipping import global_norm as global_norm
from gradtx._momentum import EmaState as EmaState
from gradtx._momentum import TraceState as TraceState
from gradtx._momentum import ema as ema
from gradtx._momentum import sgd as sgd
from gradtx._momentum import trace as trace
from gradtx._masking import AddDecayedWeightsState as AddDecayedWeightsState
from gradtx._masking import MaskedNode as MaskedNode
from gradtx._masking import MaskedState as MaskedState
from gradtx._masking import add_decayed_weights as add_decayed_weights
from gradtx._masking import masked as masked

# AdaGrad, RMSProp, Adadelta, Rprop, ASGD
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
from gradtx._rprop import ScaleByRpropState as ScaleByRpropState
from gradtx._rprop import rprop as rprop
from gradtx._rprop import scale_by_rprop as scale_by_rprop
from gradtx._asgd import AsgdState as AsgdState
from gradtx._asgd import asgd as asgd
from gradtx._asgd import asgd_average as asgd_average

# Adam and its family
from gradtx._adam import ScaleByAdamState as ScaleByAdamState
from gradtx._adam import ScaleByAdamaxState as ScaleByAdamaxState
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
from gradtx._nadam import ScaleByNadamState as ScaleByNadamState
from gradtx._nadam import scale_by_nadam as scale_by_nadam
from gradtx._radam import radam as radam
from gradtx._radam import scale_by_radam as scale_by_radam
from gradtx._adam_variants import ScaleByAdoptState as ScaleByAdoptState
from gradtx._adam_variants import ScaleByBeliefState as ScaleByBeliefState
from gradtx._adam_variants import ScaleByYogiState as ScaleByYogiState
from gradtx._adam_variants import adabelief as adabelief
from gradtx._adam_variants import adopt as adopt
from gradtx._adam_variants import scale_by_adopt as scale_by_adopt
from gradtx._adam_variants import scale_by_belief as scale_by_belief
from gradtx._adam_variants import scale_by_yogi as scale_by_yogi
from gradtx._adam_variants import yogi as yogi
from gradtx._adam_variants2 import ScaleByAdanState as ScaleByAdanState
from gradtx._adam_variants2 import ScaleByAdemamixState as ScaleByAdemamixState
from gradtx._adam_variants2 import ScaleByNovogradState as ScaleByNovogradState
from gradtx._adam_variants2 import adan as adan
from gradtx._adam_variants2 import ademamix as ademamix
from gradtx._adam_variants2 import novograd as novograd
from gradtx._adam_variants2 import scale_by_adan as scale_by_adan
from gradtx._adam_variants2 import scale_by_ademamix as scale_by_ademamix
from gradtx._adam_variants2 import scale_by_novograd as scale_by_novograd

# Sign methods and layer-wise trust ratios
from gradtx._sign import ScaleByLionState as ScaleByLionState
from gradtx._sign import lion as lion
from gradtx._sign import scale_by_lion as scale_by_lion
from gradtx._sign import scale_by_sign as scale_by_sign
from gradtx._sign import sign_sgd as sign_sgd
from gradtx._sign import signum as signum
from gradtx._trust import AdaptiveGradClipState as AdaptiveGradClipState
from gradtx._trust import FromageState as FromageState
from gradtx._trust import ScaleByTrustRatioState as ScaleByTrustRatioState
from gradtx._trust import adaptive_grad_clip as adaptive_grad_clip
from gradtx._trust import centralize as centralize
from gradtx._trust import clip_by_block_rms as clip_by_block_rms
from gradtx._trust import fromage as fromage
from gradtx._trust import lamb as lamb
from gradtx._trust import lars as lars
from gradtx._trust import scale_by_param_block_norm as scale_by_param_block_norm
from gradtx._trust import scale_by_param_block_rms as scale_by_param_block_rms
from gradtx._trust import scale_by_trust_ratio as scale_by_trust_ratio

# Memory-lean second moments, and miscellany
from gradtx._factored import FactoredState as FactoredState
from gradtx._factored import ScaleBySM3State as ScaleBySM3State
from gradtx._factored import adafactor as adafactor
from gradtx._factored import scale_by_factored_rms as scale_by_factored_rms
from gradtx._factored import scale_by_sm3 as scale_by_sm3
from gradtx._factored import sm3 as sm3
from gradtx._misc import AddNoiseState as AddNoiseState
from gradtx._misc import NonNegativeParamsState as NonNegativeParamsState
from gradtx._misc import ZeroNansState as ZeroNansState
from gradtx._misc import add_noise as add_noise
from gradtx._misc import keep_params_nonnegative as keep_params_nonnegative
from gradtx._misc import noisy_sgd as noisy_sgd
from gradtx._misc import polyak_sgd as polyak_sgd
from gradtx._misc import scale_by_polyak as scale_by_polyak
from gradtx._misc import zero_nans as zero_nans

# Newer methods
from gradtx._muon import MuonDimensionNumbers as MuonDimensionNumbers
from gradtx._muon import MuonState as MuonState
from gradtx._muon import muon as muon
from gradtx._muon import scale_by_muon as scale_by_muon
from gradtx._schedule_free import ScheduleFreeState as ScheduleFreeState
from gradtx._schedule_free import schedule_free as schedule_free
from gradtx._schedule_free import schedule_free_adamw as schedule_free_adamw
from gradtx._schedule_free import schedule_free_eval_params as schedule_free_eval_params
from gradtx._schedule_free import schedule_free_sgd as schedule_free_sgd
from gradtx._prodigy import ProdigyState as ProdigyState
from gradtx._prodigy import prodigy as prodigy
from gradtx._sophia import HutchinsonState as HutchinsonState
from gradtx._sophia import SophiaState as SophiaState
from gradtx._sophia import hutchinson_estimator_diag_hessian as hutchinson_estimator_diag_hessian
from gradtx._sophia import scale_by_sophia as scale_by_sophia
from gradtx._sophia import sophia as sophia

# Schedules
from gradtx._schedules import constant_schedule as constant_schedule
from gradtx._schedules import cosine_decay_schedule as cosine_decay_schedule
from gradtx._schedules import exponential_decay as exponential_decay
from gradtx._schedules import join_schedules as join_schedules
from gradtx._schedules import linear_schedule as linear_schedule
from gradtx._schedules import piecewise_constant_schedule as piecewise_constant_schedule
from gradtx._schedules import piecewise_interpolate_schedule as piecewise_interpolate_schedule
from gradtx._schedules import polynomial_schedule as polynomial_schedule
from gradtx._schedules_combined import cosine_onecycle_schedule as cosine_onecycle_schedule
from gradtx._schedules_combined import cyclic_schedule as cyclic_schedule
from gradtx._schedules_combined import linear_onecycle_schedule as linear_onecycle_schedule
from gradtx._schedules_combined import sgdr_schedule as sgdr_schedule
from gradtx._schedules_combined import warmup_constant_schedule as warmup_constant_schedule
from gradtx._schedules_combined import warmup_cosine_decay_schedule as warmup_cosine_decay_schedule
from gradtx._schedules_combined import (
    warmup_exponential_decay_schedule as warmup_exponential_decay_schedule,
)
from gradtx._plateau import ReduceLROnPlateauState as ReduceLROnPlateauState
from gradtx._plateau import reduce_on_plateau as reduce_on_plateau

# Wrappers
from gradtx._partition import ConditionallyMaskState as ConditionallyMaskState
from gradtx._partition import ConditionallyTransformState as ConditionallyTransformState
from gradtx._partition import MultiTransformState as MultiTransformState
from gradtx._partition import PartitionState as PartitionState
from gradtx._partition import conditionally_mask as conditionally_mask
from gradtx._partition import conditionally_transform as conditionally_transform
from gradtx._partition import flatten as flatten
from gradtx._partition import freeze as freeze
from gradtx._partition import labels_by_regex as labels_by_regex
from gradtx._partition import mask_by_regex as mask_by_regex
from gradtx._partition import multi_transform as multi_transform
from gradtx._partition import partition as partition
from gradtx._partition import selective_transform as selective_transform
from gradtx._accumulate import ApplyEvery as ApplyEvery
from gradtx._accumulate import ApplyEveryState as ApplyEveryState
from gradtx._accumulate import MultiSteps as MultiSteps
from gradtx._accumulate import MultiStepsState as MultiStepsState
from gradtx._accumulate import ShouldSkipUpdateFunction as ShouldSkipUpdateFunction
from gradtx._accumulate import apply_every as apply_every
from gradtx._accumulate import skip_large_updates as skip_large_updates
from gradtx._accumulate import skip_not_finite as skip_not_finite
from gradtx._guards import ApplyIfFiniteState as ApplyIfFiniteState
from gradtx._guards import SkipSpikesState as SkipSpikesState
from gradtx._guards import apply_if_finite as apply_if_finite
from gradtx._guards import skip_spikes as skip_spikes
from gradtx._lookahead import LookaheadParams as LookaheadParams
from gradtx._lookahead import LookaheadState as LookaheadState
from gradtx._lookahead import lookahead as lookahead
from gradtx._monitor import MonitoredChainState as MonitoredChainState
from gradtx._monitor import monitored_chain as monitored_chain

# Hyperparameters as state
from gradtx._inject import InjectHyperparamsState as InjectHyperparamsState
from gradtx._inject import InjectStatefulHyperparamsState as InjectStatefulHyperparamsState
from gradtx._inject import WrappedSchedule as WrappedSchedule
from gradtx._inject import inject_hyperparams as inject_hyperparams
from gradtx._inject import inject_stateful_hyperparams as inject_stateful_hyperparams
from gradtx._state_tools import NamedTupleKey as NamedTupleKey
from gradtx._state_tools import tree_get as tree_get
from gradtx._state_tools import tree_get_all_with_path as tree_get_all_with_path
from gradtx._state_tools import tree_set as tree_set

__version__ = "0.1.0"
