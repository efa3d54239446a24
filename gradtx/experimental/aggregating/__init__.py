"""Aggregating per-example gradients before an optimizer (optax.experimental.aggregating)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.experimental.aggregating._mean_variance import (
    PerElementMeanAndSumSqDiffGradsState as PerElementMeanAndSumSqDiffGradsState,
)
from gradtx.experimental.aggregating._mean_variance import (
    PerElementMeanAndVarianceEMAState as PerElementMeanAndVarianceEMAState,
)
from gradtx.experimental.aggregating._mean_variance import (
    add_mean_variance_to_opt as add_mean_variance_to_opt,
)
from gradtx.experimental.aggregating._mean_variance import (
    get_batch_size_from_per_elt_updates as get_batch_size_from_per_elt_updates,
)
from gradtx.experimental.aggregating._mean_variance import (
    get_per_element_mean_and_sum_sq_diff_grads as get_per_element_mean_and_sum_sq_diff_grads,
)
from gradtx.experimental.aggregating._mean_variance import (
    get_unbiased_mean_and_variance_ema as get_unbiased_mean_and_variance_ema,
)
from gradtx.experimental.aggregating._mean_variance import (
    track_per_element_mean_and_variance_with_ema as track_per_element_mean_and_variance_with_ema,
)
from gradtx.experimental.aggregating._process import (
    AccumulateAvgUpdatesState as AccumulateAvgUpdatesState,
)
from gradtx.experimental.aggregating._process import AggregatedUpdates as AggregatedUpdates
from gradtx.experimental.aggregating._process import Aggregator as Aggregator
from gradtx.experimental.aggregating._process import AggregatorUpdateFn as AggregatorUpdateFn
from gradtx.experimental.aggregating._process import MaybeAxis as MaybeAxis
from gradtx.experimental.aggregating._process import PerElementUpdates as PerElementUpdates
from gradtx.experimental.aggregating._process import (
    accumulate_avg_updates as accumulate_avg_updates,
)
from gradtx.experimental.aggregating._process import (
    average_incrementally_updates as average_incrementally_updates,
)
from gradtx.experimental.aggregating._process import (
    average_per_element_updates as average_per_element_updates,
)
from gradtx.experimental.aggregating._process import process as process
