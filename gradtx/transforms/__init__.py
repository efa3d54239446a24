"""Gradient transformations that are not whole optimizers: clipping, masking, partitioning, accumulation, guards and the combinators (optax.transforms)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx._core._contract import chain as chain
from gradtx._core._contract import identity as identity
from gradtx._core._contract import named_chain as named_chain
from gradtx._core._contract import set_to_zero as set_to_zero
from gradtx._core._contract import stateless as stateless
from gradtx._core._contract import stateless_with_tree_map as stateless_with_tree_map
from gradtx.transforms._accumulation import ApplyEvery as ApplyEvery
from gradtx.transforms._accumulation import ApplyEveryState as ApplyEveryState
from gradtx.transforms._accumulation import MultiSteps as MultiSteps
from gradtx.transforms._accumulation import MultiStepsState as MultiStepsState
from gradtx.transforms._accumulation import ShouldSkipUpdateFunction as ShouldSkipUpdateFunction
from gradtx.transforms._accumulation import apply_every as apply_every
from gradtx.transforms._accumulation import skip_large_updates as skip_large_updates
from gradtx.transforms._accumulation import skip_not_finite as skip_not_finite
from gradtx.transforms._clipping import clip as clip
from gradtx.transforms._clipping import clip_by_global_norm as clip_by_global_norm
from gradtx.transforms._clipping import (
    per_example_global_norm_clip as per_example_global_norm_clip,
)
from gradtx.transforms._clipping import per_example_layer_norm_clip as per_example_layer_norm_clip
from gradtx.transforms._clipping import unitwise_clip as unitwise_clip
from gradtx.transforms._clipping import unitwise_norm as unitwise_norm
from gradtx.transforms._conditionality import ConditionFn as ConditionFn
from gradtx.transforms._conditionality import ConditionallyMaskState as ConditionallyMaskState
from gradtx.transforms._conditionality import (
    ConditionallyTransformState as ConditionallyTransformState,
)
from gradtx.transforms._conditionality import conditionally_mask as conditionally_mask
from gradtx.transforms._conditionality import conditionally_transform as conditionally_transform
from gradtx.transforms._constraints import NonNegativeParamsState as NonNegativeParamsState
from gradtx.transforms._constraints import ZeroNansState as ZeroNansState
from gradtx.transforms._constraints import keep_params_nonnegative as keep_params_nonnegative
from gradtx.transforms._constraints import zero_nans as zero_nans
from gradtx.transforms._guards import ApplyIfFiniteState as ApplyIfFiniteState
from gradtx.transforms._guards import SkipSpikesState as SkipSpikesState
from gradtx.transforms._guards import apply_if_finite as apply_if_finite
from gradtx.transforms._guards import skip_spikes as skip_spikes
from gradtx.transforms._layerwise import AdaptiveGradClipState as AdaptiveGradClipState
from gradtx.transforms._layerwise import ScaleByTrustRatioState as ScaleByTrustRatioState
from gradtx.transforms._layerwise import adaptive_grad_clip as adaptive_grad_clip
from gradtx.transforms._layerwise import centralize as centralize
from gradtx.transforms._layerwise import clip_by_block_rms as clip_by_block_rms
from gradtx.transforms._layerwise import scale_by_param_block_norm as scale_by_param_block_norm
from gradtx.transforms._layerwise import scale_by_param_block_rms as scale_by_param_block_rms
from gradtx.transforms._layerwise import scale_by_trust_ratio as scale_by_trust_ratio
from gradtx.transforms._lookahead import LookaheadParams as LookaheadParams
from gradtx.transforms._lookahead import LookaheadState as LookaheadState
from gradtx.transforms._lookahead import lookahead as lookahead
from gradtx.transforms._masking import MaskedNode as MaskedNode
from gradtx.transforms._masking import MaskedState as MaskedState
from gradtx.transforms._masking import masked as masked
from gradtx.transforms._measurements import MonitorState as MonitorState
from gradtx.transforms._measurements import SnapshotState as SnapshotState
from gradtx.transforms._measurements import measure_with_ema as measure_with_ema
from gradtx.transforms._measurements import monitor as monitor
from gradtx.transforms._measurements import snapshot as snapshot
from gradtx.transforms._momentum import EmaState as EmaState
from gradtx.transforms._momentum import TraceState as TraceState
from gradtx.transforms._momentum import ema as ema
from gradtx.transforms._momentum import trace as trace
from gradtx.transforms._monitor import MonitoredChainState as MonitoredChainState
from gradtx.transforms._monitor import monitored_chain as monitored_chain
from gradtx.transforms._noise import AddNoiseState as AddNoiseState
from gradtx.transforms._noise import add_noise as add_noise
from gradtx.transforms._partition import MultiTransformState as MultiTransformState
from gradtx.transforms._partition import PartitionState as PartitionState
from gradtx.transforms._partition import flatten as flatten
from gradtx.transforms._partition import freeze as freeze
from gradtx.transforms._partition import labels_by_regex as labels_by_regex
from gradtx.transforms._partition import mask_by_regex as mask_by_regex
from gradtx.transforms._partition import multi_transform as multi_transform
from gradtx.transforms._partition import partition as partition
from gradtx.transforms._partition import selective_transform as selective_transform
from gradtx.transforms._scaling import ScaleByScheduleState as ScaleByScheduleState
from gradtx.transforms._scaling import scale as scale
from gradtx.transforms._scaling import scale_by_learning_rate as scale_by_learning_rate
from gradtx.transforms._scaling import scale_by_schedule as scale_by_schedule
from gradtx.transforms._weight_decay import AddDecayedWeightsState as AddDecayedWeightsState
from gradtx.transforms._weight_decay import add_decayed_weights as add_decayed_weights
from gradtx.transforms._sharding import shard_state_over as shard_state_over
