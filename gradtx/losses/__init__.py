"""Loss functions for regression, classification, ranking and sequences (optax.losses)."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.losses._classification import hinge_loss as hinge_loss
from gradtx.losses._classification import multiclass_hinge_loss as multiclass_hinge_loss
from gradtx.losses._classification import multiclass_perceptron_loss as multiclass_perceptron_loss
from gradtx.losses._classification import multiclass_sparsemax_loss as multiclass_sparsemax_loss
from gradtx.losses._classification import perceptron_loss as perceptron_loss
from gradtx.losses._classification import (
    sigmoid_binary_cross_entropy as sigmoid_binary_cross_entropy,
)
from gradtx.losses._classification import sigmoid_focal_loss as sigmoid_focal_loss
from gradtx.losses._classification import sparsemax_loss as sparsemax_loss
from gradtx.losses._cross_entropy import poly_loss_cross_entropy as poly_loss_cross_entropy
from gradtx.losses._cross_entropy import safe_softmax_cross_entropy as safe_softmax_cross_entropy
from gradtx.losses._cross_entropy import softmax_cross_entropy as softmax_cross_entropy
from gradtx.losses._cross_entropy import (
    softmax_cross_entropy_with_integer_labels as softmax_cross_entropy_with_integer_labels,
)
from gradtx.losses._ctc import ctc_loss as ctc_loss
from gradtx.losses._ctc import ctc_loss_with_forward_probs as ctc_loss_with_forward_probs
from gradtx.losses._divergences import convex_kl_divergence as convex_kl_divergence
from gradtx.losses._divergences import generalized_kl_divergence as generalized_kl_divergence
from gradtx.losses._divergences import kl_divergence as kl_divergence
from gradtx.losses._divergences import (
    kl_divergence_with_log_targets as kl_divergence_with_log_targets,
)
from gradtx.losses._divergences import smooth_labels as smooth_labels
from gradtx.losses._fenchel_young import make_fenchel_young_loss as make_fenchel_young_loss
from gradtx.losses._ranking import ranking_softmax_loss as ranking_softmax_loss
from gradtx.losses._regression import absolute_error as absolute_error
from gradtx.losses._regression import cosine_distance as cosine_distance
from gradtx.losses._regression import cosine_similarity as cosine_similarity
from gradtx.losses._regression import huber_loss as huber_loss
from gradtx.losses._regression import l1_loss as l1_loss
from gradtx.losses._regression import l2_loss as l2_loss
from gradtx.losses._regression import log_cosh as log_cosh
from gradtx.losses._regression import squared_error as squared_error
from gradtx.losses._segmentation import binary_dice_loss as binary_dice_loss
from gradtx.losses._segmentation import dice_loss as dice_loss
from gradtx.losses._segmentation import (
    multiclass_generalized_dice_loss as multiclass_generalized_dice_loss,
)
from gradtx.losses._self_supervised import ntxent as ntxent
from gradtx.losses._self_supervised import triplet_margin_loss as triplet_margin_loss
