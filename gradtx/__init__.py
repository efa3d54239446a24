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
from gradtx._core._eager import EagerJit as EagerJit
from gradtx._core._contract import EmptyState as EmptyState
from gradtx._core._contract import GradientTransformation as GradientTransformation
from gradtx._core._contract import (
    GradientTransformationExtraArgs as GradientTransformationExtraArgs,
)
from gradtx._core._contract import OptState as OptState
from gradtx._core._contract import Params as Params
from gradtx._core._contract import ScalarOrSchedule as ScalarOrSchedule
from gradtx._core._contract import Schedule as Schedule
from gradtx._core._contract import TransformInitFn as TransformInitFn
from gradtx._core._contract import TransformUpdateFn as TransformUpdateFn
from gradtx._core._contract import Updates as Updates
from gradtx._core._contract import apply_updates as apply_updates
from gradtx._core._contract import chain as chain
from gradtx._core._eager import eager_jit as eager_jit
from gradtx._core._eager import eager_jit_disabled as eager_jit_disabled
from gradtx._core._contract import identity as identity
from gradtx._core._contract import named_chain as named_chain
from gradtx._core._eager import set_eager_jit as set_eager_jit
from gradtx._core._contract import set_to_zero as set_to_zero
from gradtx._core._contract import stateless as stateless
from gradtx._core._contract import stateless_with_tree_map as stateless_with_tree_map
from gradtx._core._contract import with_extra_args_support as with_extra_args_support
from gradtx._core._numerics import safe_increment as safe_increment
from gradtx._core._numerics import safe_int32_increment as safe_int32_increment
from gradtx._core._grouped import GroupedLeaves as GroupedLeaves
from gradtx._core._grouped import group_leaves as group_leaves
from gradtx._core._grouped import ungroup_leaves as ungroup_leaves

# State checks (issue 15): update given a state its init did not build
from gradtx._core._state_check import StateMismatchError as StateMismatchError

# Scaling, clipping, momentum
from gradtx.transforms._scaling import ScaleByScheduleState as ScaleByScheduleState
from gradtx.transforms._scaling import scale as scale
from gradtx.transforms._scaling import scale_by_learning_rate as scale_by_learning_rate
from gradtx.transforms._scaling import scale_by_schedule as scale_by_schedule
from gradtx.transforms._clipping import clip as clip
from gradtx.transforms._clipping import clip_by_global_norm as clip_by_global_norm
from gradtx.transforms._clipping import global_norm as global_norm
from gradtx.transforms._momentum import EmaState as EmaState
from gradtx.transforms._momentum import TraceState as TraceState
from gradtx.transforms._momentum import ema as ema
from gradtx._optimizers._sgd import sgd as sgd
from gradtx.transforms._momentum import trace as trace
from gradtx.transforms._weight_decay import AddDecayedWeightsState as AddDecayedWeightsState
from gradtx.transforms._masking import MaskedNode as MaskedNode
from gradtx.transforms._masking import MaskedState as MaskedState
from gradtx.transforms._weight_decay import add_decayed_weights as add_decayed_weights
from gradtx.transforms._masking import masked as masked

# AdaGrad, RMSProp, Adadelta, Rprop, ASGD
from gradtx._optimizers._adadelta import ScaleByAdaDeltaState as ScaleByAdaDeltaState
from gradtx._optimizers._rmsprop import ScaleByRmsState as ScaleByRmsState
from gradtx._optimizers._adagrad import ScaleByRssState as ScaleByRssState
from gradtx._optimizers._rmsprop import ScaleByRStdDevState as ScaleByRStdDevState
from gradtx._optimizers._adadelta import adadelta as adadelta
from gradtx._optimizers._adagrad import adagrad as adagrad
from gradtx._optimizers._rmsprop import rmsprop as rmsprop
from gradtx._optimizers._adadelta import scale_by_adadelta as scale_by_adadelta
from gradtx._optimizers._rmsprop import scale_by_rms as scale_by_rms
from gradtx._optimizers._adagrad import scale_by_rss as scale_by_rss
from gradtx._optimizers._rmsprop import scale_by_stddev as scale_by_stddev
from gradtx._optimizers._rprop import ScaleByRpropState as ScaleByRpropState
from gradtx._optimizers._rprop import rprop as rprop
from gradtx._optimizers._rprop import scale_by_rprop as scale_by_rprop
from gradtx._optimizers._asgd import AsgdState as AsgdState
from gradtx._optimizers._asgd import asgd as asgd
from gradtx._optimizers._asgd import asgd_average as asgd_average

# Adam and its family
from gradtx._optimizers._adam import ScaleByAdamState as ScaleByAdamState
from gradtx._optimizers._adamax import ScaleByAdamaxState as ScaleByAdamaxState
from gradtx._optimizers._amsgrad import ScaleByAmsgradState as ScaleByAmsgradState
from gradtx._optimizers._adam import adam as adam
from gradtx._optimizers._adamax import adamax as adamax
from gradtx._optimizers._adamax import adamaxw as adamaxw
from gradtx._optimizers._adam import adamw as adamw
from gradtx._optimizers._amsgrad import amsgrad as amsgrad
from gradtx._optimizers._nadam import nadam as nadam
from gradtx._optimizers._nadam import nadamw as nadamw
from gradtx._optimizers._adam import scale_by_adam as scale_by_adam
from gradtx._optimizers._adamax import scale_by_adamax as scale_by_adamax
from gradtx._optimizers._amsgrad import scale_by_amsgrad as scale_by_amsgrad
from gradtx._optimizers._nadam import ScaleByNadamState as ScaleByNadamState
from gradtx._optimizers._nadam import scale_by_nadam as scale_by_nadam
from gradtx._optimizers._radam import radam as radam
from gradtx._optimizers._radam import scale_by_radam as scale_by_radam
from gradtx._optimizers._adopt import ScaleByAdoptState as ScaleByAdoptState
from gradtx._optimizers._adabelief import ScaleByBeliefState as ScaleByBeliefState
from gradtx._optimizers._yogi import ScaleByYogiState as ScaleByYogiState
from gradtx._optimizers._adabelief import adabelief as adabelief
from gradtx._optimizers._adopt import adopt as adopt
from gradtx._optimizers._adopt import scale_by_adopt as scale_by_adopt
from gradtx._optimizers._adabelief import scale_by_belief as scale_by_belief
from gradtx._optimizers._yogi import scale_by_yogi as scale_by_yogi
from gradtx._optimizers._yogi import yogi as yogi
from gradtx._optimizers._adan import ScaleByAdanState as ScaleByAdanState
from gradtx._optimizers._ademamix import ScaleByAdemamixState as ScaleByAdemamixState
from gradtx._optimizers._novograd import ScaleByNovogradState as ScaleByNovogradState
from gradtx._optimizers._adan import adan as adan
from gradtx._optimizers._ademamix import ademamix as ademamix
from gradtx._optimizers._novograd import novograd as novograd
from gradtx._optimizers._adan import scale_by_adan as scale_by_adan
from gradtx._optimizers._ademamix import scale_by_ademamix as scale_by_ademamix
from gradtx._optimizers._novograd import scale_by_novograd as scale_by_novograd

# Sign methods and layer-wise trust ratios
from gradtx._optimizers._lion import ScaleByLionState as ScaleByLionState
from gradtx._optimizers._lion import lion as lion
from gradtx._optimizers._lion import scale_by_lion as scale_by_lion
from gradtx._optimizers._sign_sgd import scale_by_sign as scale_by_sign
from gradtx._optimizers._sign_sgd import sign_sgd as sign_sgd
from gradtx._optimizers._sign_sgd import signum as signum
from gradtx.transforms._layerwise import AdaptiveGradClipState as AdaptiveGradClipState
from gradtx._optimizers._fromage import FromageState as FromageState
from gradtx.transforms._layerwise import ScaleByTrustRatioState as ScaleByTrustRatioState
from gradtx.transforms._layerwise import adaptive_grad_clip as adaptive_grad_clip
from gradtx.transforms._layerwise import centralize as centralize
from gradtx.transforms._layerwise import clip_by_block_rms as clip_by_block_rms
from gradtx._optimizers._fromage import fromage as fromage
from gradtx._optimizers._lamb import lamb as lamb
from gradtx._optimizers._lars import lars as lars
from gradtx.transforms._layerwise import scale_by_param_block_norm as scale_by_param_block_norm
from gradtx.transforms._layerwise import scale_by_param_block_rms as scale_by_param_block_rms
from gradtx.transforms._layerwise import scale_by_trust_ratio as scale_by_trust_ratio

# Memory-lean second moments, and miscellany
from gradtx._optimizers._adafactor import FactoredState as FactoredState
from gradtx._optimizers._sm3 import ScaleBySM3State as ScaleBySM3State
from gradtx._optimizers._adafactor import adafactor as adafactor
from gradtx._optimizers._adafactor import scale_by_factored_rms as scale_by_factored_rms
from gradtx._optimizers._sm3 import scale_by_sm3 as scale_by_sm3
from gradtx._optimizers._sm3 import sm3 as sm3
from gradtx.transforms._noise import AddNoiseState as AddNoiseState
from gradtx.transforms._constraints import NonNegativeParamsState as NonNegativeParamsState
from gradtx.transforms._constraints import ZeroNansState as ZeroNansState
from gradtx.transforms._noise import add_noise as add_noise
from gradtx.transforms._constraints import keep_params_nonnegative as keep_params_nonnegative
from gradtx._optimizers._noisy_sgd import noisy_sgd as noisy_sgd
from gradtx._optimizers._polyak import polyak_sgd as polyak_sgd
from gradtx._optimizers._polyak import scale_by_polyak as scale_by_polyak
from gradtx.transforms._constraints import zero_nans as zero_nans

# Newer methods
from gradtx.contrib._muon import MuonDimensionNumbers as MuonDimensionNumbers
from gradtx.contrib._muon import MuonState as MuonState
from gradtx.contrib._muon import muon as muon
from gradtx.contrib._muon import scale_by_muon as scale_by_muon
from gradtx.contrib._schedule_free import ScheduleFreeState as ScheduleFreeState
from gradtx.contrib._schedule_free import schedule_free as schedule_free
from gradtx.contrib._schedule_free import schedule_free_adamw as schedule_free_adamw
from gradtx.contrib._schedule_free import schedule_free_eval_params as schedule_free_eval_params
from gradtx.contrib._schedule_free import schedule_free_sgd as schedule_free_sgd
from gradtx.contrib._prodigy import ProdigyState as ProdigyState
from gradtx.contrib._prodigy import prodigy as prodigy
from gradtx.contrib._sophia import HutchinsonState as HutchinsonState
from gradtx.contrib._sophia import SophiaState as SophiaState
from gradtx.contrib._sophia import (
    hutchinson_estimator_diag_hessian as hutchinson_estimator_diag_hessian,
)
from gradtx.contrib._sophia import scale_by_sophia as scale_by_sophia
from gradtx.contrib._sophia import sophia as sophia

# Schedules
from gradtx.schedules._schedule import constant_schedule as constant_schedule
from gradtx.schedules._schedule import cosine_decay_schedule as cosine_decay_schedule
from gradtx.schedules._schedule import exponential_decay as exponential_decay
from gradtx.schedules._schedule import join_schedules as join_schedules
from gradtx.schedules._schedule import linear_schedule as linear_schedule
from gradtx.schedules._schedule import piecewise_constant_schedule as piecewise_constant_schedule
from gradtx.schedules._schedule import (
    piecewise_interpolate_schedule as piecewise_interpolate_schedule,
)
from gradtx.schedules._schedule import polynomial_schedule as polynomial_schedule
from gradtx.schedules._combined import cosine_onecycle_schedule as cosine_onecycle_schedule
from gradtx.schedules._combined import cyclic_schedule as cyclic_schedule
from gradtx.schedules._combined import linear_onecycle_schedule as linear_onecycle_schedule
from gradtx.schedules._combined import sgdr_schedule as sgdr_schedule
from gradtx.schedules._combined import warmup_constant_schedule as warmup_constant_schedule
from gradtx.schedules._combined import warmup_cosine_decay_schedule as warmup_cosine_decay_schedule
from gradtx.schedules._combined import (
    warmup_exponential_decay_schedule as warmup_exponential_decay_schedule,
)
from gradtx.contrib._reduce_on_plateau import ReduceLROnPlateauState as ReduceLROnPlateauState
from gradtx.contrib._reduce_on_plateau import reduce_on_plateau as reduce_on_plateau

# Wrappers
from gradtx.transforms._conditionality import ConditionallyMaskState as ConditionallyMaskState
from gradtx.transforms._conditionality import (
    ConditionallyTransformState as ConditionallyTransformState,
)
from gradtx.transforms._partition import MultiTransformState as MultiTransformState
from gradtx.transforms._partition import PartitionState as PartitionState
from gradtx.transforms._conditionality import conditionally_mask as conditionally_mask
from gradtx.transforms._conditionality import conditionally_transform as conditionally_transform
from gradtx.transforms._partition import flatten as flatten
from gradtx.transforms._partition import freeze as freeze
from gradtx.transforms._partition import labels_by_regex as labels_by_regex
from gradtx.transforms._partition import mask_by_regex as mask_by_regex
from gradtx.transforms._partition import multi_transform as multi_transform
from gradtx.transforms._partition import partition as partition
from gradtx.transforms._partition import selective_transform as selective_transform
from gradtx.transforms._accumulation import ApplyEvery as ApplyEvery
from gradtx.transforms._accumulation import ApplyEveryState as ApplyEveryState
from gradtx.transforms._accumulation import MultiSteps as MultiSteps
from gradtx.transforms._accumulation import MultiStepsState as MultiStepsState
from gradtx.transforms._accumulation import ShouldSkipUpdateFunction as ShouldSkipUpdateFunction
from gradtx.transforms._accumulation import apply_every as apply_every
from gradtx.transforms._accumulation import skip_large_updates as skip_large_updates
from gradtx.transforms._accumulation import skip_not_finite as skip_not_finite
from gradtx.transforms._guards import ApplyIfFiniteState as ApplyIfFiniteState
from gradtx.transforms._guards import SkipSpikesState as SkipSpikesState
from gradtx.transforms._guards import apply_if_finite as apply_if_finite
from gradtx.transforms._guards import skip_spikes as skip_spikes
from gradtx.transforms._lookahead import LookaheadParams as LookaheadParams
from gradtx.transforms._lookahead import LookaheadState as LookaheadState
from gradtx.transforms._lookahead import lookahead as lookahead
from gradtx.transforms._monitor import MonitoredChainState as MonitoredChainState
from gradtx.transforms._monitor import monitored_chain as monitored_chain

# Hyperparameters as state
from gradtx.schedules._inject import InjectHyperparamsState as InjectHyperparamsState
from gradtx.schedules._inject import (
    InjectStatefulHyperparamsState as InjectStatefulHyperparamsState,
)
from gradtx.schedules._inject import WrappedSchedule as WrappedSchedule
from gradtx.schedules._inject import inject_hyperparams as inject_hyperparams
from gradtx.schedules._inject import inject_stateful_hyperparams as inject_stateful_hyperparams
from gradtx.tree_utils._state import NamedTupleKey as NamedTupleKey
from gradtx.tree_utils._state import tree_get as tree_get
from gradtx.tree_utils._state import tree_get_all_with_path as tree_get_all_with_path
from gradtx.tree_utils._state import tree_set as tree_set

# Losses (flat top-level aliases, as optax has them)
from gradtx.losses._divergences import convex_kl_divergence as convex_kl_divergence
from gradtx.losses._regression import cosine_distance as cosine_distance
from gradtx.losses._regression import cosine_similarity as cosine_similarity
from gradtx.losses._ctc import ctc_loss as ctc_loss
from gradtx.losses._ctc import ctc_loss_with_forward_probs as ctc_loss_with_forward_probs
from gradtx.losses._divergences import generalized_kl_divergence as generalized_kl_divergence
from gradtx.losses._classification import hinge_loss as hinge_loss
from gradtx.losses._regression import huber_loss as huber_loss
from gradtx.losses._divergences import kl_divergence as kl_divergence
from gradtx.losses._regression import l2_loss as l2_loss
from gradtx.losses._regression import log_cosh as log_cosh
from gradtx.losses._self_supervised import ntxent as ntxent
from gradtx.losses._cross_entropy import safe_softmax_cross_entropy as safe_softmax_cross_entropy
from gradtx.losses._classification import (
    sigmoid_binary_cross_entropy as sigmoid_binary_cross_entropy,
)
from gradtx.losses._classification import sigmoid_focal_loss as sigmoid_focal_loss
from gradtx.losses._divergences import smooth_labels as smooth_labels
from gradtx.losses._cross_entropy import softmax_cross_entropy as softmax_cross_entropy
from gradtx.losses._cross_entropy import (
    softmax_cross_entropy_with_integer_labels as softmax_cross_entropy_with_integer_labels,
)
from gradtx.losses._regression import squared_error as squared_error

# Solvers and line searches (gradtx.solvers)
from gradtx.solvers._lbfgs import ScaleByLBFGSState as ScaleByLBFGSState
from gradtx.solvers._linesearch_backtracking import (
    ScaleByBacktrackingLinesearchState as ScaleByBacktrackingLinesearchState,
)
from gradtx.solvers._linesearch_zoom import ScaleByZoomLinesearchState as ScaleByZoomLinesearchState
from gradtx.solvers._linesearch_zoom import ZoomLinesearchInfo as ZoomLinesearchInfo
from gradtx.solvers._lbfgs import lbfgs as lbfgs
from gradtx.solvers._linesearch_backtracking import (
    scale_by_backtracking_linesearch as scale_by_backtracking_linesearch,
)
from gradtx.solvers._lbfgs import scale_by_lbfgs as scale_by_lbfgs
from gradtx.solvers._linesearch_zoom import scale_by_zoom_linesearch as scale_by_zoom_linesearch
from gradtx.solvers._objective import value_and_grad_from_state as value_and_grad_from_state

# Hager-Zhang line search (gradtx addition, gradtx.solvers)
from gradtx.solvers._linesearch_hager_zhang import (
    HagerZhangLinesearchInfo as HagerZhangLinesearchInfo,
)
from gradtx.solvers._linesearch_hager_zhang import (
    ScaleByHagerZhangLinesearchState as ScaleByHagerZhangLinesearchState,
)
from gradtx.solvers._linesearch_hager_zhang import (
    scale_by_hager_zhang_linesearch as scale_by_hager_zhang_linesearch,
)

# Curvature: spectra, saddle escapes and sharpness tracking
from gradtx.curvature._power import power_iteration as power_iteration
from gradtx._optimizers._saddle import NegativeCurvatureStepState as NegativeCurvatureStepState
from gradtx._optimizers._saddle import SaddlePerturbationState as SaddlePerturbationState
from gradtx._optimizers._saddle import negative_curvature_step as negative_curvature_step
from gradtx._optimizers._saddle import perturbed_gd as perturbed_gd
from gradtx._optimizers._saddle import saddle_perturbation as saddle_perturbation
from gradtx._optimizers._saddle_free_newton import saddle_free_newton as saddle_free_newton
from gradtx._optimizers._saddle_free_newton import (
    scale_by_saddle_free_newton as scale_by_saddle_free_newton,
)
from gradtx.curvature._sharpness import TrackSharpnessState as TrackSharpnessState
from gradtx.curvature._sharpness import track_sharpness as track_sharpness

# Noise reduction, iterate averaging, accelerated and coordinate methods (issue 12)
from gradtx._optimizers._svrg import ScaleBySvrgState as ScaleBySvrgState
from gradtx._optimizers._svrg import scale_by_svrg as scale_by_svrg
from gradtx._optimizers._svrg import svrg as svrg
from gradtx._optimizers._saga import ScaleBySagaState as ScaleBySagaState
from gradtx._optimizers._saga import ScaleBySagState as ScaleBySagState
from gradtx._optimizers._saga import sag as sag
from gradtx._optimizers._saga import saga as saga
from gradtx._optimizers._saga import scale_by_sag as scale_by_sag
from gradtx._optimizers._saga import scale_by_saga as scale_by_saga
from gradtx.transforms._iterate_averaging import ParamsEmaState as ParamsEmaState
from gradtx.transforms._iterate_averaging import PolyakAveragingState as PolyakAveragingState
from gradtx.transforms._iterate_averaging import SwaState as SwaState
from gradtx.transforms._iterate_averaging import ema_averaged_params as ema_averaged_params
from gradtx.transforms._iterate_averaging import params_ema as params_ema
from gradtx.transforms._iterate_averaging import polyak_averaged_params as polyak_averaged_params
from gradtx.transforms._iterate_averaging import polyak_averaging as polyak_averaging
from gradtx.transforms._iterate_averaging import swa as swa
from gradtx.transforms._iterate_averaging import swa_averaged_params as swa_averaged_params
from gradtx._optimizers._dynamic_sampling import DynamicSamplingState as DynamicSamplingState
from gradtx._optimizers._dynamic_sampling import dynamic_sampling as dynamic_sampling
from gradtx._optimizers._dynamic_sampling import next_batch_size as next_batch_size
from gradtx._optimizers._coordinate import CoordinateDescentState as CoordinateDescentState
from gradtx._optimizers._coordinate import coordinate_descent as coordinate_descent
from gradtx._optimizers._accelerated_state import (
    AcceleratedGradientState as AcceleratedGradientState,
)
from gradtx._optimizers._accelerated import accelerated_gradient as accelerated_gradient
from gradtx._optimizers._accelerated_state import (
    accelerated_gradient_params as accelerated_gradient_params,
)

# Scale-out: sharded optimizer state (gradtx additions)
from gradtx.transforms._sharding import shard_state_over as shard_state_over

# optax drop-in, name for name (tree_utils, transforms, microbatching and top-level helpers)
from gradtx._core._contract import TransformUpdateExtraArgsFn as TransformUpdateExtraArgsFn
from gradtx._core._contract import init_empty_state as init_empty_state
from gradtx._core._distributions import multi_normal as multi_normal
from gradtx._core._gradient_scaling import scale_gradient as scale_gradient
from gradtx._core._matrix_root import matrix_inverse_pth_root as matrix_inverse_pth_root
from gradtx._core._nnls import nnls as nnls
from gradtx._core._numerics import safe_norm as safe_norm
from gradtx._core._numerics import safe_root_mean_squares as safe_root_mean_squares
from gradtx._core._param_updates import incremental_update as incremental_update
from gradtx._core._param_updates import periodic_update as periodic_update
from gradtx._optimizers._distance_over_gradients import (
    ScaleByDistanceOverGradientsState as ScaleByDistanceOverGradientsState,
)
from gradtx._optimizers._distance_over_gradients import (
    scale_by_distance_over_gradients as scale_by_distance_over_gradients,
)
from gradtx._optimizers._optimistic import (
    ScaleByOptimisticGradientState as ScaleByOptimisticGradientState,
)
from gradtx._optimizers._optimistic import optimistic_adam as optimistic_adam
from gradtx._optimizers._optimistic import optimistic_adam_v2 as optimistic_adam_v2
from gradtx._optimizers._optimistic import (
    optimistic_gradient_descent as optimistic_gradient_descent,
)
from gradtx._optimizers._optimistic import (
    scale_by_optimistic_gradient as scale_by_optimistic_gradient,
)
from gradtx.transforms._clipping import ClipByGlobalNormState as ClipByGlobalNormState
from gradtx.transforms._clipping import ClipState as ClipState
from gradtx.transforms._clipping import (
    per_example_global_norm_clip as per_example_global_norm_clip,
)
from gradtx.transforms._clipping import per_example_layer_norm_clip as per_example_layer_norm_clip
from gradtx.transforms._masking import MaskOrFn as MaskOrFn
from gradtx.transforms._measurements import MonitorState as MonitorState
from gradtx.transforms._measurements import SnapshotState as SnapshotState
from gradtx.transforms._measurements import measure_with_ema as measure_with_ema
from gradtx.transforms._measurements import monitor as monitor
from gradtx.transforms._measurements import snapshot as snapshot
from gradtx.transforms._scaling import ScaleState as ScaleState
from gradtx.transforms._scaling import normalize_by_update_norm as normalize_by_update_norm

# optax's top-level names for the tree_utils moment helpers (the same objects)
from gradtx.tree_utils._moments import tree_bias_correction as bias_correction  # noqa: F401
from gradtx.tree_utils._moments import tree_update_infinity_moment as update_infinity_moment  # noqa: F401
from gradtx.tree_utils._moments import tree_update_moment as update_moment  # noqa: F401
from gradtx.tree_utils._moments import (  # noqa: F401
    tree_update_moment_per_elem_norm as update_moment_per_elem_norm,
)
from gradtx.tree_utils._state import tree_map_params as tree_map_params
from gradtx.microbatching._microbatching import microbatch as microbatch

# Namespaces (as optax has them), importable as attributes of the top level
from gradtx import assignment as assignment
from gradtx import contrib as contrib
from gradtx import curvature as curvature
from gradtx import experimental as experimental
from gradtx import losses as losses
from gradtx import microbatching as microbatching
from gradtx import perturbations as perturbations
from gradtx import projections as projections
from gradtx import proximal as proximal
from gradtx import schedules as schedules
from gradtx import second_order as second_order
from gradtx import solvers as solvers
from gradtx import transforms as transforms
from gradtx import tree as tree
from gradtx import tree_utils as tree_utils

__version__ = "0.1.0"

# Old gradtx names of states that now carry optax's names; importing them warns.
_DEPRECATED_ALIASES = {
    "ScaleByAdadeltaState": "ScaleByAdaDeltaState",
    "ScaleByStddevState": "ScaleByRStdDevState",
}


def __getattr__(name: str):
    if name in _DEPRECATED_ALIASES:
        import warnings

        new = _DEPRECATED_ALIASES[name]
        warnings.warn(
            f"gradtx.{name} is deprecated; use gradtx.{new} (optax's name).",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    raise AttributeError(f"module 'gradtx' has no attribute {name!r}")
