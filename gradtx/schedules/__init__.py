"""Learning-rate and hyperparameter schedules, and hyperparameters kept in state (optax.schedules)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx._core._contract import Schedule as Schedule
from gradtx.schedules._combined import cosine_onecycle_schedule as cosine_onecycle_schedule
from gradtx.schedules._combined import cyclic_schedule as cyclic_schedule
from gradtx.schedules._combined import linear_onecycle_schedule as linear_onecycle_schedule
from gradtx.schedules._combined import sgdr_schedule as sgdr_schedule
from gradtx.schedules._combined import warmup_constant_schedule as warmup_constant_schedule
from gradtx.schedules._combined import warmup_cosine_decay_schedule as warmup_cosine_decay_schedule
from gradtx.schedules._combined import (
    warmup_exponential_decay_schedule as warmup_exponential_decay_schedule,
)
from gradtx.schedules._inject import InjectHyperparamsState as InjectHyperparamsState
from gradtx.schedules._inject import (
    InjectStatefulHyperparamsState as InjectStatefulHyperparamsState,
)
from gradtx.schedules._inject import StatefulSchedule as StatefulSchedule
from gradtx.schedules._inject import WrappedSchedule as WrappedSchedule
from gradtx.schedules._inject import inject_hyperparams as inject_hyperparams
from gradtx.schedules._inject import inject_stateful_hyperparams as inject_stateful_hyperparams
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
