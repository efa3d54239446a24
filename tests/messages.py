"""Every error-message fragment the test suite matches, in one place.

Tests import these (``pytest.raises(..., match=MSG_...)``) rather than spelling the
text inline, so a reworded message is changed here once. Each value is a regular
expression, as ``match=`` takes it. tests/test_messages.py checks that every
constant is used by at least one test module.
"""

MSG_ACCELERATED_GRADIENT_UPDATE_NEEDS_PARAMS = "accelerated_gradient: update needs params"
MSG_ACCUMULATE_AVG_UPDATES_ACCUMULATION_STEPS_0 = r"accumulate_avg_updates\(accumulation_steps=0\)"
MSG_ACPROP_B2_0_1 = r"acprop\(b2=-0\.1\)"
MSG_ACPROP_EPS_1_0 = r"acprop\(eps=-1\.0\)"
MSG_ACPROP_WEIGHT_DECAY_1_0 = r"acprop\(weight_decay=-1\.0\)"
MSG_ADAFACTOR_EPS_1_0 = r"adafactor\(eps=-1.0\)"
MSG_ADAFACTOR_MOMENTUM_1_0_MOMENTUM_MUST_BE = (
    r"adafactor\(momentum=1.0\): momentum must be in \[0, 1\)"
)
MSG_ADD_NOISE_ETA_0_1_ETA_MUST = r"add_noise\(eta=-0.1\): eta must be in \[0, inf\)"
MSG_ADD_NOISE_KEY_KEY_MUST_BE_AN = r"add_noise\(key=...\): key must be an int"
MSG_AT_LEAST_2_ROWS = "at least 2 rows"
MSG_AT_LEAST_ONE_CYCLE = "at least one cycle"
MSG_AT_LEAST_ONE_OF_RTOL_AND_ATOL = "at least one of rtol and atol must be positive"
MSG_AT_LEAST_ONE_TRANSFORMATION = "at least one transformation"
MSG_AT_PATH_LAYER1_BIAS_PRESENT_IN_PARAMS = (
    r"at path \['layer1'\]\['bias'\]: present in params but not in updates"
)
MSG_AXIS_MUST_BE_AN_INT_OR_A = "axis must be an int or a tuple"
MSG_A_PROJECTED_WEIGHT_NEEDS_RANK_2_GOT = r"a projected weight needs rank >= 2; got shape \(3,\)"
MSG_B1_MUST_BE_IN_0_1 = r"b1 must be in \(0, 1\]"
MSG_BASE_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION = (
    "base_optimizer must be a GradientTransformation"
)
MSG_BETAS_1_MUST_BE_IN_0_1 = r"betas\[1\] must be in \[0, 1\)"
MSG_BLOCK_SIZE_MUST_BE_1_GOT_0 = "block_size must be >= 1; got 0"
MSG_BOUNDARIES_MUST_BE_NON_DECREASING_GOT_10 = "boundaries must be non-decreasing; got 10 before 5"
MSG_CLASSIFY_CRITICAL_POINT_TOL_1_0_TOL = r"classify_critical_point\(tol=-1.0\): tol must be in"
MSG_CLIPPING_THRESHOLD_MUST_BE_IN_0_INF = r"clipping_threshold must be in \(0, inf\)"
MSG_COCOB_EPS_0_0 = r"cocob\(eps=0\.0\)"
MSG_COCOB_WEIGHT_DECAY_1_0 = r"cocob\(weight_decay=-1\.0\)"
MSG_CONSISTENT_RMS_MUST_BE_IN_0_INF = r"consistent_rms must be in \(0, inf\)"
MSG_COST_MATRIX_MUST_BE_A_MATRIX = "cost_matrix must be a matrix"
MSG_COUNT_NAMES_2_VALUES_IN_THE_STATE = "'count' names 2 values in the state, at .*Pass filtering"
MSG_CURV_RTOL_MUST_BE_IN_0_INF = r"curv_rtol must be in \[0, inf\); got -1.0"
MSG_CYCLE_0_HAS_NO_DECAY_STEPS = "cycle 0 has no 'decay_steps'"
MSG_DADAPT_ADAMW_BETAS_0_1_0_BETAS = (
    r"dadapt_adamw\(betas\[0\]=1\.0\): betas\[0\] must be in \[0, 1\)"
)
MSG_DADAPT_ADAMW_BETAS_0_9_BETAS_MUST = r"dadapt_adamw\(betas=0\.9\): betas must be a pair"
MSG_DADAPT_ADAMW_EPS_1_0 = r"dadapt_adamw\(eps=-1\.0\)"
MSG_DADAPT_ADAMW_ESTIM_LR0_0_0_ESTIM = (
    r"dadapt_adamw\(estim_lr0=0\.0\): estim_lr0 must be in \(0, inf\)"
)
MSG_DADAPT_ADAMW_WEIGHT_DECAY_1_0 = r"dadapt_adamw\(weight_decay=-1\.0\)"
MSG_DAMPING_0_1_DAMPING_MUST_BE_IN = r"damping=-0.1\): damping must be in \[0, inf\)"
MSG_DAMPING_MUST_BE_IN_0_INF_GOT = r"damping must be in \(0, inf\); got 0.0"
MSG_DECAY_MUST_BE_IN_0_1 = r"decay must be in \[0, 1\)"
MSG_DECAY_RATE_MUST_BE_IN = "decay_rate must be in"
MSG_DECAY_RATE_MUST_BE_IN_0_INF = r"decay_rate must be in \[0, inf\)"
MSG_DECAY_STEPS_MUST_BE_FINITE_AND_0 = "decay_steps must be finite and > 0"
MSG_DECAY_STEPS_MUST_BE_WARMUP_STEPS_GOT = "decay_steps .* must be > warmup_steps; got 100 <= 100"
MSG_DECREASE_FACTOR_MUST_BE_IN_0_1 = r"decrease_factor must be in \(0, 1\]; got 1.5"
MSG_DENSE_THRESHOLD_MUST_BE_AN_INT = "dense_threshold must be an int"
MSG_DICT_KEYS_MUST_BE_STR_OR_INT = r"dict keys must be str or int; got \(1, 2\)"
MSG_DIFFERENTIALLY_PRIVATE_AGGREGATE_KEY_KEY_MUST_BE = (
    r"differentially_private_aggregate\(key=\.\.\.\): key must be an int"
)
MSG_DIFFERENT_STRUCTURE = "different structure"
MSG_DIFFER_AT_PATH_0_MU_V_MISSING = r"differ at path \[0\]\.mu\['v'\]: missing from the file"
MSG_DIFFER_AT_PATH_B = r"differ at path \['b'\]"
MSG_DIFFER_AT_PATH_DENSE_KERNEL_MASK_HAS = (
    r"differ at path \['dense'\]\['kernel'\]: mask has a list"
)
MSG_DIFFER_AT_PATH_V = r"differ at path \[0\]\.mu\['v'\]"
MSG_DISTINCT = "distinct"
MSG_DIVIDE_BY_SEEN_MUST_BE_A_BOOL = "divide_by_seen must be a bool"
MSG_DIV_FACTOR_MUST_BE_IN_0 = r"div_factor must be in \(0"
MSG_DOG_EPS_1_0 = r"dog\(eps=-1\.0\)"
MSG_DOG_INIT_STEP_1E_06_INIT_STEP = r"dog\(init_step=1e-06\): init_step must be a pair"
MSG_DOG_INIT_STEP_1_0_0_INIT = r"dog\(init_step\[1\]=0\.0\): init_step\[1\] must be in \(0, inf\)"
MSG_DOG_WEIGHT_DECAY_1_0 = r"dog\(weight_decay=-1\.0\)"
MSG_DOWG_EPS_0_0 = r"dowg\(eps=0\.0\)"
MSG_DOWG_INIT_ESTIM_SQ_DIST_0_0 = (
    r"dowg\(init_estim_sq_dist=0\.0\): init_estim_sq_dist must be in \(0, inf\)"
)
MSG_DOWG_WEIGHT_DECAY_1_0 = r"dowg\(weight_decay=-1\.0\)"
MSG_DPSGD_L2_NORM_CLIP_1_0_L2 = r"dpsgd\(l2_norm_clip=-1\.0\): l2_norm_clip must be in \[0, inf\)"
MSG_DPSGD_MOMENTUM_1_0_MOMENTUM_MUST_BE = r"dpsgd\(momentum=1\.0\): momentum must be in \[0, 1\)"
MSG_DPSGD_NOISE_MULTIPLIER_1_0 = r"dpsgd\(noise_multiplier=-1\.0\)"
MSG_DPSGD_SEED_0_5_SEED_MUST_BE = r"dpsgd\(seed=0\.5\): seed must be an int"
MSG_EMA_AVERAGED_PARAMS_EXACTLY_ONE_PARAMSEMASTATE_FOUND = (
    "ema_averaged_params: .*exactly one ParamsEmaState.*found 0"
)
MSG_EVERY_K_MUST_BE_1_GOT_0 = "every_k must be >= 1; got 0"
MSG_EVERY_K_SCHEDULE_MUST_BE_IN = "every_k_schedule must be in"
MSG_EXPECTED_A_GROUPEDLEAVES = "expected a GroupedLeaves"
MSG_EXPECTS_PER_EXAMPLE_GRADIENTS_2_3_4 = r"expects per-example gradients.*\[\(2, 3\), \(4,\)\]"
MSG_EXPONENTIAL_DECAY_DECAY_RATE_0_5_DECAY = (
    r"exponential_decay\(decay_rate=-0.5\): decay_rate must be in \[0"
)
MSG_FOUND_2 = "found 2"
MSG_FUN_MUST_BE_A_CALLABLE = "fun must be a callable"
MSG_GALORE_RANK_0_RANK_MUST_BE_1 = r"galore\(rank=0\): rank must be >= 1; got 0\."
MSG_GALORE_RANK_2_0_RANK_MUST_BE = r"galore\(rank=2\.0\): rank must be an int"
MSG_GALORE_SCALE_1_0 = r"galore\(scale=-1\.0\)"
MSG_GALORE_UPDATE_PROJ_GAP_0 = r"galore\(update_proj_gap=0\)"
MSG_GALORE_WEIGHT_DECAY_1_0 = r"galore\(weight_decay=-1\.0\)"
MSG_GAMMA_MUST_BE_IN_0 = r"gamma must be in \(0"
MSG_GIVE_EITHER_STEP_SIZES = "give either step_sizes"
MSG_GIVE_KEY_OR_SEED_NOT_BOTH = "give key or seed, not both"
MSG_GRADTX_ADABELIEF_B1_1_0_B1_MUST = (
    r"gradtx.adabelief\(b1=1.0\): b1 must be in \[0, 1\); got 1.0."
)
MSG_GRADTX_ADABELIEF_EPS_ROOT_1_0_EPS = (
    r"gradtx.adabelief\(eps_root=-1.0\): eps_root must be in \[0, inf\)"
)
MSG_GRADTX_ADABELIEF_LEARNING_RATE_0_1_LEARNING = (
    r"gradtx.adabelief\(learning_rate=-0.1\): learning_rate must be in \[0, inf\)"
)
MSG_GRADTX_ADAFACTOR_LEARNING_RATE_0_1_LEARNING = (
    r"gradtx.adafactor\(learning_rate=-0.1\): learning_rate must be in \[0, inf\)"
)
MSG_GRADTX_ADAGRAD_LR_DECAY_0_1 = r"gradtx.adagrad\(lr_decay=-0.1\)"
MSG_GRADTX_ADAGRAD_WEIGHT_DECAY_0_1 = r"gradtx.adagrad\(weight_decay=-0.1\)"
MSG_GRADTX_ADAMAX_WEIGHT_DECAY_0_1 = r"gradtx.adamax\(weight_decay=-0.1\)"
MSG_GRADTX_ADAM_B1_1_2_B1_MUST = r"gradtx.adam\(b1=1.2\): b1 must be in \[0, 1\)"
MSG_GRADTX_ADAM_DECOUPLED_WEIGHT_DECAY_YES = r"gradtx.adam\(decoupled_weight_decay='yes'\)"
MSG_GRADTX_ADAM_MU_DTYPE_NONSENSE_MU_DTYPE = (
    r"gradtx.adam\(mu_dtype='nonsense'\): mu_dtype must be a dtype"
)
MSG_GRADTX_ADAM_WEIGHT_DECAY_0_1 = r"gradtx.adam\(weight_decay=-0.1\)"
MSG_GRADTX_ADAN_B3_1_0_B3_MUST = r"gradtx.adan\(b3=1.0\): b3 must be in \[0, 1\)"
MSG_GRADTX_ADAN_LEARNING_RATE_0_1 = r"gradtx.adan\(learning_rate=-0.1\)"
MSG_GRADTX_ADAN_WEIGHT_DECAY_0_1 = r"gradtx.adan\(weight_decay=-0.1\)"
MSG_GRADTX_ADAPTIVE_GRAD_CLIP_AXIS_X_AXIS = r"gradtx\.adaptive_grad_clip\(axis='x'\): axis must be"
MSG_GRADTX_ADAPTIVE_GRAD_CLIP_CLIPPING_0_1 = r"gradtx\.adaptive_grad_clip\(clipping=-0\.1\)"
MSG_GRADTX_ADAPTIVE_GRAD_CLIP_EPS_1_0 = r"gradtx\.adaptive_grad_clip\(eps=-1\.0\)"
MSG_GRADTX_ADD_DECAYED_WEIGHTS_UPDATE_NEEDS_PARAMS = (
    "gradtx.add_decayed_weights: update needs params"
)
MSG_GRADTX_ADEMAMIX_B3_1_0_B3_MUST = r"gradtx.ademamix\(b3=1.0\): b3 must be in \[0, 1\)"
MSG_GRADTX_ADEMAMIX_EPS_1_0 = r"gradtx.ademamix\(eps=-1.0\)"
MSG_GRADTX_ADEMAMIX_LEARNING_RATE_0_1 = r"gradtx.ademamix\(learning_rate=-0.1\)"
MSG_GRADTX_ADEMAMIX_WEIGHT_DECAY_1_0 = r"gradtx.ademamix\(weight_decay=-1.0\)"
MSG_GRADTX_ADOPT_B2_1_0_B2_MUST = r"gradtx.adopt\(b2=1.0\): b2 must be in \[0, 1\)"
MSG_GRADTX_ADOPT_CLIP_VALUE_FN_2_0 = r"gradtx.adopt\(clip_value_fn=2.0\): clip_value_fn must be"
MSG_GRADTX_ADOPT_LEARNING_RATE_1_0 = r"gradtx.adopt\(learning_rate=-1.0\)"
MSG_GRADTX_AMSGRAD_WEIGHT_DECAY_0_1 = r"gradtx.amsgrad\(weight_decay=-0.1\)"
MSG_GRADTX_APPLY_EVERY_K_0 = r"gradtx.apply_every\(k=0\)"
MSG_GRADTX_APPLY_UPDATES = "gradtx.apply_updates"
MSG_GRADTX_APPLY_UPDATES_PARAMS_AND_UPDATES_DIFFER = r"gradtx.apply_updates: params and updates differ at path \['layer1'\]\['bias'\]: params has shape \(4,\), updates \(3,\)"
MSG_GRADTX_APPLY_UPDATES_X = r"gradtx.apply_updates: .*\['x'\]"
MSG_GRADTX_ASGD_ALPHA_1_0 = r"gradtx.asgd\(alpha=-1.0\)"
MSG_GRADTX_ASGD_AVERAGE_EXACTLY_ONE_ASGDSTATE_FOUND = (
    "gradtx.asgd_average: .*exactly one AsgdState.*found 0"
)
MSG_GRADTX_ASGD_LAMBD_1_0_LAMBD_MUST = r"gradtx.asgd\(lambd=-1.0\): lambd must be in \[0, inf\)"
MSG_GRADTX_ASGD_LEARNING_RATE_0_1 = r"gradtx.asgd\(learning_rate=-0.1\)"
MSG_GRADTX_ASGD_T0_1_0 = r"gradtx.asgd\(t0=-1.0\)"
MSG_GRADTX_ASGD_UPDATE_NEEDS_PARAMS = "gradtx.asgd: update needs params"
MSG_GRADTX_ASGD_WEIGHT_DECAY_1_0 = r"gradtx.asgd\(weight_decay=-1.0\)"
MSG_GRADTX_CHAIN_ARGUMENT_1_MUST_BE_A = (
    r"gradtx.chain\(\): argument 1 must be a GradientTransformation"
)
MSG_GRADTX_CLIP_BY_BLOCK_RMS_THRESHOLD_0 = (
    r"gradtx\.clip_by_block_rms\(threshold=0\.0\): threshold must be in \(0, inf\)"
)
MSG_GRADTX_CONTRIB_ACPROP_B1_1_0_B1 = r"gradtx\.contrib\.acprop\(b1=1\.0\): b1 must be in \[0, 1\)"
MSG_GRADTX_CONTRIB_ACPROP_LEARNING_RATE_1_0 = r"gradtx\.contrib\.acprop\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_COCOB_ALPHA_0_0_ALPHA = (
    r"gradtx\.contrib\.cocob\(alpha=0\.0\): alpha must be in \(0, inf\)"
)
MSG_GRADTX_CONTRIB_COCOB_LEARNING_RATE_1_0 = r"gradtx\.contrib\.cocob\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_DADAPT_ADAMW_LEARNING_RATE_1 = r"gradtx\.contrib\.dadapt_adamw\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_DOG_INIT_STEP_NOPE_1 = (
    r"gradtx\.contrib\.dog\(init_step=\('nope', 1\.0\)\): init_step\[0\] must be one of"
)
MSG_GRADTX_CONTRIB_DOG_LEARNING_RATE_1_0 = (
    r"gradtx\.contrib\.dog\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
)
MSG_GRADTX_CONTRIB_DOWG_LEARNING_RATE_1_0 = r"gradtx\.contrib\.dowg\(learning_rate=-1\.0\)"
MSG_GRADTX_CONTRIB_DPSGD_LEARNING_RATE_1_0 = r"gradtx\.contrib\.dpsgd\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_GALORE_LEARNING_RATE_1_0 = r"gradtx\.contrib\.galore\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_MADGRAD_LEARNING_RATE_1_0 = r"gradtx\.contrib\.madgrad\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_MADGRAD_MOMENTUM_1_0_MOMENTUM = (
    r"gradtx\.contrib\.madgrad\(momentum=1\.0\): momentum must be in \[0, 1\)"
)
MSG_GRADTX_CONTRIB_MECHANIZE_BASE_OPTIMIZER_BASE_OPTIMIZER = r"gradtx\.contrib\.mechanize\(base_optimizer=\.\.\.\): base_optimizer must be a GradientTransformation"
MSG_GRADTX_CONTRIB_MECHANIZE_WEIGHT_DECAY_1_0 = r"gradtx\.contrib\.mechanize\(weight_decay=-1\.0\): weight_decay must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_MOMO_ADAM_LEARNING_RATE_1 = r"gradtx\.contrib\.momo_adam\(learning_rate=-1\.0\)"
MSG_GRADTX_CONTRIB_MOMO_BETA_1_0_BETA = (
    r"gradtx\.contrib\.momo\(beta=1\.0\): beta must be in \[0, 1\)"
)
MSG_GRADTX_CONTRIB_MOMO_LEARNING_RATE_1_0 = r"gradtx\.contrib\.momo\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CONTRIB_MOMO_UPDATE_NEEDS_THE_LOSS = (
    r"gradtx\.contrib\.momo: update needs the loss value"
)
MSG_GRADTX_CONTRIB_SAM_OPAQUE_MODE_TRUE_UPDATE = (
    r"gradtx\.contrib\.sam\(opaque_mode=True\): update needs grad_fn="
)
MSG_GRADTX_CONTRIB_SAM_SYNC_PERIOD_0_SYNC = (
    r"gradtx\.contrib\.sam\(sync_period=0\): sync_period must be >= 1; got 0\."
)
MSG_GRADTX_CONTRIB_SCALE_BY_ACPROP_EPS_ROOT = r"gradtx\.contrib\.scale_by_acprop\(eps_root=-1\.0\)"
MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_ALPHA_1 = r"gradtx\.contrib\.scale_by_cocob\(alpha=-1\.0\)"
MSG_GRADTX_CONTRIB_SCALE_BY_COCOB_UPDATE_NEEDS = (
    r"gradtx\.contrib\.scale_by_cocob: update needs params"
)
MSG_GRADTX_CONTRIB_SCALE_BY_MADGRAD_MOMENTUM_0 = (
    r"gradtx\.contrib\.scale_by_madgrad\(momentum=-0\.5\)"
)
MSG_GRADTX_CONTRIB_SCALE_BY_SIMPLIFIED_ADEMAMIX_EPS = (
    r"gradtx\.contrib\.scale_by_simplified_ademamix\(eps_root=-1\.0\)"
)
MSG_GRADTX_CONTRIB_SIMPLIFIED_ADEMAMIX_LEARNING_RATE_1 = r"gradtx\.contrib\.simplified_ademamix\(learning_rate=-1\.0\): learning_rate must be in \[0, inf\); got -1\.0\."
MSG_GRADTX_CURVATURE_HVP_FUN_3_FUN_MUST = (
    r"gradtx.curvature.hvp\(fun=3\): fun must be a callable; got int"
)
MSG_GRADTX_FROMAGE_LEARNING_RATE_0_1 = r"gradtx\.fromage\(learning_rate=-0\.1\)"
MSG_GRADTX_FROMAGE_MIN_NORM_1_0 = r"gradtx\.fromage\(min_norm=-1\.0\)"
MSG_GRADTX_GROUP_LEAVES_MAX_LEAF_SIZE_GOT = r"gradtx.group_leaves\(max_leaf_size=...\): .*got -1"
MSG_GRADTX_LAMB_B1_1_0_B1_MUST = r"gradtx\.lamb\(b1=1\.0\): b1 must be in \[0, 1\)"
MSG_GRADTX_LAMB_EPS_ROOT_1_0 = r"gradtx\.lamb\(eps_root=-1\.0\)"
MSG_GRADTX_LAMB_WEIGHT_DECAY_1_0 = r"gradtx\.lamb\(weight_decay=-1\.0\)"
MSG_GRADTX_LARS_LEARNING_RATE_0_1 = r"gradtx\.lars\(learning_rate=-0\.1\)"
MSG_GRADTX_LARS_MOMENTUM_1_0_MOMENTUM_MUST = (
    r"gradtx\.lars\(momentum=1\.0\): momentum must be in \[0, 1\)"
)
MSG_GRADTX_LARS_TRUST_COEFFICIENT_1_0 = r"gradtx\.lars\(trust_coefficient=-1\.0\)"
MSG_GRADTX_LION_B2_1_0 = r"gradtx\.lion\(b2=1\.0\)"
MSG_GRADTX_LION_LEARNING_RATE_0_001_LEARNING = (
    r"gradtx\.lion\(learning_rate=-0\.001\): learning_rate must be in \[0, inf\)"
)
MSG_GRADTX_LION_WEIGHT_DECAY_0_1_WEIGHT = (
    r"gradtx\.lion\(weight_decay=-0\.1\): weight_decay must be in \[0, inf\)"
)
MSG_GRADTX_LOSSES_L2_LOSS_TARGETS_OF_SHAPE = (
    r"gradtx.losses.l2_loss: targets of shape \(4,\) does not"
)
MSG_GRADTX_LOSSES_SQUARED_ERROR_PREDICTIONS_MUST_HAVE = (
    "gradtx.losses.squared_error: predictions must have a floating"
)
MSG_GRADTX_MASKED_MASK_AND_PARAMS_DIFFER_AT = (
    r"gradtx.masked: mask and params differ at path \['outs'\]: present in mask but not in params"
)
MSG_GRADTX_MASKED_MASK_MASK_LEAVES_MUST_BE = (
    r"gradtx.masked\(mask=...\): mask leaves must be Python bools"
)
MSG_GRADTX_MONITOR_MEASURES_MEASURES_MUST_BE_A = (
    r"gradtx.monitor\(measures=...\): measures must be a dict"
)
MSG_GRADTX_MONITOR_MEASURES_N = r"gradtx.monitor\(measures=\{'n': ...\}\)"
MSG_GRADTX_NADAMW_MOMENTUM_DECAY_1_0 = r"gradtx.nadamw\(momentum_decay=-1.0\)"
MSG_GRADTX_NADAM_MOMENTUM_DECAY_1_0 = r"gradtx.nadam\(momentum_decay=-1.0\)"
MSG_GRADTX_NADAM_NESTEROV_FALSE_MOMENTUM_DECAY_0 = (
    r"gradtx.nadam\(nesterov=False, momentum_decay=0.004\): .*use nesterov=True"
)
MSG_GRADTX_NADAM_WEIGHT_DECAY_0_1 = r"gradtx.nadam\(weight_decay=-0.1\)"
MSG_GRADTX_NAMED_CHAIN_NAMES_MUST_BE_UNIQUE = r"gradtx.named_chain\(\): names must be unique"
MSG_GRADTX_NNLS_A_MUST_BE_A_MATRIX = "gradtx.nnls: A must be a matrix"
MSG_GRADTX_NORMALIZE_BY_UPDATE_NORM_EPS_1 = r"gradtx.normalize_by_update_norm\(eps=-1.0\)"
MSG_GRADTX_NOVOGRAD_B2_1_0_B2_MUST = r"gradtx.novograd\(b2=1.0\): b2 must be in \[0, 1\)"
MSG_GRADTX_NOVOGRAD_LEARNING_RATE_0_1 = r"gradtx.novograd\(learning_rate=-0.1\)"
MSG_GRADTX_NOVOGRAD_WEIGHT_DECAY_1_0_WEIGHT = (
    r"gradtx.novograd\(weight_decay=-1.0\): weight_decay must be in \[0, inf\)"
)
MSG_GRADTX_OPTIMISTIC_ADAM_LEARNING_RATE_SCHEDULE = (
    r"gradtx.optimistic_adam\(learning_rate=<schedule>\)"
)
MSG_GRADTX_PARAMS_EMA_DECAY_1_0 = r"gradtx.params_ema\(decay=1.0\)"
MSG_GRADTX_PERTURBATIONS_MAKE_PERTURBED_FUN_SIGMA_0 = (
    r"gradtx.perturbations.make_perturbed_fun\(sigma=0.0\)"
)
MSG_GRADTX_PER_EXAMPLE_GLOBAL_NORM_CLIP_EVERY = "gradtx.per_example_global_norm_clip: every leaf"
MSG_GRADTX_PRODIGY_INIT_NEEDS_THE_PARAMS_VALUES = (
    r"gradtx.prodigy: init needs the params' values .* at \['w'\]"
)
MSG_GRADTX_RADAM_LEARNING_RATE_0_1 = r"gradtx.radam\(learning_rate=-0.1\)"
MSG_GRADTX_RADAM_STRICT_THRESHOLD_1_STRICT_THRESHOLD = (
    r"gradtx.radam\(strict_threshold=1\): strict_threshold must be a bool"
)
MSG_GRADTX_RADAM_WEIGHT_DECAY_0_1 = r"gradtx.radam\(weight_decay=-0.1\)"
MSG_GRADTX_RMSPROP_WEIGHT_DECAY_0_1 = r"gradtx.rmsprop\(weight_decay=-0.1\)"
MSG_GRADTX_RPROP_ETAS_0_5_1_2 = r"gradtx.rprop\(etas=\(0.5, 1.2, 2.0\)\): etas must be a pair"
MSG_GRADTX_RPROP_ETAS_ETA_MINUS_GIVE_EITHER = (
    r"gradtx.rprop\(etas=..., eta_minus=...\): give either etas"
)
MSG_GRADTX_RPROP_ETA_MINUS_0_0 = r"gradtx.rprop\(eta_minus=0.0\)"
MSG_GRADTX_RPROP_ETA_MINUS_1_5_ETA = r"gradtx.rprop\(eta_minus=1.5\): eta_minus must be in \(0, 1\]"
MSG_GRADTX_RPROP_LEARNING_RATE_0_1 = r"gradtx.rprop\(learning_rate=-0.1\)"
MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0 = r"gradtx.rprop\(min_step_size=-1.0\)"
MSG_GRADTX_RPROP_MIN_STEP_SIZE_1_0_2 = (
    r"gradtx.rprop\(min_step_size=1.0, max_step_size=0.5\): min_step_size must be <= max_step_size"
)
MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU = r"gradtx.scale_by_adam: updates and mu differ at path \['b'\]: updates has shape \(4,\), mu \(3,\)"
MSG_GRADTX_SCALE_BY_ADAM_UPDATES_AND_MU_2 = (
    r"init\(updates\) and the state differ at path \[0\]\.mu\['c'\]"
)
MSG_GRADTX_SCALE_BY_ADAN_B1_0_5 = r"gradtx.scale_by_adan\(b1=-0.5\)"
MSG_GRADTX_SCALE_BY_ADEMAMIX_ALPHA_1_0 = (
    r"gradtx.scale_by_ademamix\(alpha=-1.0\): alpha must be in \[0, inf\)"
)
MSG_GRADTX_SCALE_BY_ADOPT_EPS_1_0 = r"gradtx.scale_by_adopt\(eps=-1.0\)"
MSG_GRADTX_SCALE_BY_ADOPT_MU_DTYPE_NOPE = r"gradtx.scale_by_adopt\(mu_dtype='nope'\)"
MSG_GRADTX_SCALE_BY_BELIEF_B2_0_1 = r"gradtx.scale_by_belief\(b2=-0.1\): b2 must be in \[0, 1\)"
MSG_GRADTX_SCALE_BY_LION_B1_1_5 = (
    r"gradtx\.scale_by_lion\(b1=1\.5\): b1 must be in \[0, 1\]; got 1\.5\."
)
MSG_GRADTX_SCALE_BY_NADAM_B1_1_0 = r"gradtx.scale_by_nadam\(b1=1.0\): b1 must be in \[0, 1\)"
MSG_GRADTX_SCALE_BY_NADAM_MOMENTUM_DECAY_1 = r"gradtx.scale_by_nadam\(momentum_decay=-1.0\)"
MSG_GRADTX_SCALE_BY_NOVOGRAD_EPS_ROOT_1 = r"gradtx.scale_by_novograd\(eps_root=-1.0\)"
MSG_GRADTX_SCALE_BY_NOVOGRAD_UPDATE_NEEDS_PARAMS = "gradtx.scale_by_novograd: update needs params"
MSG_GRADTX_SCALE_BY_RADAM_B2_1_0 = r"gradtx.scale_by_radam\(b2=1.0\): b2 must be in \[0, 1\)"
MSG_GRADTX_SCALE_BY_RADAM_EPS_1_0 = r"gradtx.scale_by_radam\(eps=-1.0\)"
MSG_GRADTX_SCALE_BY_RADAM_EPS_BEFORE_DEBIAS = r"gradtx.scale_by_radam\(eps_before_debias=None\)"
MSG_GRADTX_SCALE_BY_RADAM_THRESHOLD_NAN = r"gradtx.scale_by_radam\(threshold=nan\)"
MSG_GRADTX_SCALE_BY_RPROP_ETA_PLUS_0 = (
    r"gradtx.scale_by_rprop\(eta_plus=0.5\): eta_plus must be in \[1, inf\)"
)
MSG_GRADTX_SCALE_BY_SCHEDULE_STEP_SIZE_FN = (
    r"gradtx.scale_by_schedule\(step_size_fn=...\): step_size_fn must be a function"
)
MSG_GRADTX_SCALE_BY_YOGI_B1_1_5 = r"gradtx.scale_by_yogi\(b1=1.5\): b1 must be in \[0, 1\)"
MSG_GRADTX_SCALE_BY_YOGI_INITIAL_ACCUMULATOR_VALUE = (
    r"gradtx.scale_by_yogi\(initial_accumulator_value=-1.0\)"
)
MSG_GRADTX_SCHEDULE_FREE_B1_0_0_B1 = (
    r"gradtx\.schedule_free\(b1=0\.0\): b1 must be in \(0, 1\]; got 0\.0\."
)
MSG_GRADTX_SET_EAGER_JIT_ENABLED_1_ENABLED = (
    r"gradtx.set_eager_jit\(enabled=1\): enabled must be a bool"
)
MSG_GRADTX_SGD_DAMPENING_0_1 = r"gradtx.sgd\(dampening=-0.1\)"
MSG_GRADTX_SGD_MAXIMIZE_1_MAXIMIZE_MUST_BE = r"gradtx.sgd\(maximize=1\): maximize must be a bool"
MSG_GRADTX_SGD_WEIGHT_DECAY_1_0_WEIGHT = (
    r"gradtx.sgd\(weight_decay=-1.0\): weight_decay must be in \[0, inf\)"
)
MSG_GRADTX_SIGNUM_ACCUMULATOR_DTYPE_NOPE = r"gradtx\.signum\(accumulator_dtype='nope'\)"
MSG_GRADTX_SIGNUM_BETA_1_0_BETA_MUST = r"gradtx\.signum\(beta=1\.0\): beta must be in \[0, 1\)"
MSG_GRADTX_SIGN_SGD_LEARNING_RATE_0_1 = r"gradtx\.sign_sgd\(learning_rate=-0\.1\)"
MSG_GRADTX_SIGN_SGD_LEARNING_RATE_INF_LEARNING = (
    r"gradtx\.sign_sgd\(learning_rate=inf\): learning_rate must be finite"
)
MSG_GRADTX_SM3_MOMENTUM_0_1 = r"gradtx.sm3\(momentum=-0.1\)"
MSG_GRADTX_SNAPSHOT_MEASURE_NAME_1 = r"gradtx.snapshot\(measure_name=1\)"
MSG_GRADTX_SVRG_LEARNING_RATE_1_0 = r"gradtx.svrg\(learning_rate=-1.0\)"
MSG_GRADTX_TRACE_DAMPENING_1_5_DAMPENING_MUST = (
    r"gradtx.trace\(dampening=1.5\): dampening must be in \[0, 1\]"
)
MSG_GRADTX_TREE_UTILS_TREE_NORM_ORD_3 = r"gradtx.tree_utils.tree_norm\(ord=3\): ord must be"
MSG_GRADTX_UNITWISE_CLIP_G_NORM_MAX_NORM = "gradtx.unitwise_clip: g_norm, max_norm and grad"
MSG_GRADTX_UNITWISE_NORM_CANNOT_INFER_THE_UNIT = "gradtx.unitwise_norm: cannot infer the unit axes"
MSG_GRADTX_YOGI_EPS_0_001_EPS_MUST = r"gradtx.yogi\(eps=-0.001\): eps must be in \[0, inf\)"
MSG_GRADTX_YOGI_LEARNING_RATE_NAN = r"gradtx.yogi\(learning_rate=nan\)"
MSG_HESSIAN_DIAGONAL_METHOD_HUTCH = r"hessian_diagonal\(method='hutch\+\+'\)"
MSG_HESSIAN_TRACE_METHOD_HUTCH_METHOD_MUST_BE = (
    r"hessian_trace\(method='hutch'\): method must be one of"
)
MSG_HESSIAN_UPDATE_NEEDS_THE_PARAMS = "hessian: update needs the params"
MSG_HOLDS_2_SCHEDULEFREESTATES = "holds 2 ScheduleFreeStates"
MSG_HOLDS_NO_SCHEDULEFREESTATE = "holds no ScheduleFreeState"
MSG_HOLDS_NO_VALUE = "holds no `value`"
MSG_HYPERPARAM_DTYPE_MUST_BE_A_DTYPE = "hyperparam_dtype must be a dtype"
MSG_INDEX_MUST_BE_IN_0_4_GOT = r"index must be in \[0, 4\).*got values in \[4, 4\]"
MSG_INITIAL_BATCH_SIZE_8_MAX_BATCH_SIZE = (
    r"initial_batch_size=8, max_batch_size=4\): max_batch_size must be >= initial_batch_size"
)
MSG_INITIAL_GUESS_STRATEGY_MUST_BE_ONE_OR = "initial_guess_strategy must be 'one' or 'keep'"
MSG_INIT_NEEDS_THE_PARAMS_VALUES_SHAPEDTYPESTRUCT = (
    "init needs the params' values .*ShapeDtypeStruct"
)
MSG_INTEGER_OR_FLOAT_DTYPE = "integer or float dtype"
MSG_INTERPOLATE_TYPE_MUST_BE_LINEAR_OR_COSINE = "interpolate_type must be 'linear' or 'cosine'"
MSG_K_2_K_MUST_BE_IN_1 = r"k=2\): k must be in \[1, 1\]"
MSG_L1_RATIO_IS_1_FOR_THE_LASSO = "l1_ratio is 1 for the lasso"
MSG_L1_RATIO_MUST_BE_IN_0_1 = r"l1_ratio must be in \[0, 1\]; got 1.5"
MSG_LANCZOS_ORDER_31_ORDER_MUST_BE_IN = r"lanczos\(order=31\): order must be in \[1, 30\]"
MSG_LEAF_AT_B_HAS_SHAPE_3_MUON = r"leaf at \['b'\] has shape \(3,\); Muon orthogonalises"
MSG_LEAF_AT_PATH_OUT_1_MATCHES_NO = "leaf at path 'out/1' matches no rule and no default"
MSG_LEARNING_RATE_MUST_BE_IN = "learning_rate must be in"
MSG_LEARNING_RATE_MUST_BE_IN_0_INF = r"learning_rate must be in \[0, inf\); got -1.0"
MSG_LEAVES_HAVE_DIFFERENT_DTYPES = "leaves have different dtypes"
MSG_LINEAR_SCHEDULE_TRANSITION_STEPS_5_TRANSITION_STEPS = (
    r"linear_schedule\(transition_steps=-5\): transition_steps must be finite and >= 0"
)
MSG_LINEAR_SOLVER_MUST_BE_ONE_OF = "linear_solver must be one of"
MSG_LOAD_NPZ_AT_PATH_0_MU_W = r"load_npz: at path \[0\]\.mu\['w'\] the file holds float64\[3\] but the target expects float64\[4\]"
MSG_LOGITS_MUST_HAVE_SHAPE = "logits must have shape"
MSG_LOGIT_PADDINGS_MUST_HAVE_SHAPE = "logit_paddings must have shape"
MSG_LOSS_FN_IS_ONLY_USED_WITH_MATRIX = "loss_fn is only used with matrix='gauss_newton'"
MSG_MADGRAD_EPS_1_0 = r"madgrad\(eps=-1\.0\)"
MSG_MADGRAD_WEIGHT_DECAY_1_0 = r"madgrad\(weight_decay=-1\.0\)"
MSG_MASK_LEAVES_MUST_BE_PYTHON_BOOLS = "mask leaves must be Python bools"
MSG_MATRIX_GGN_MATRIX_MUST_BE_ONE_OF = r"matrix='ggn'\): matrix must be one of"
MSG_MATRIX_MUST_BE_SQUARE = "matrix must be square"
MSG_MAX_CONSECUTIVE_ERRORS_MUST_BE_0 = "max_consecutive_errors must be >= 0"
MSG_MAX_LEAF_SIZE_MUST_BE_A_NON = "max_leaf_size must be a non-negative int or None"
MSG_MECHANIZE_EPS_1_0 = r"mechanize\(eps=-1\.0\)"
MSG_MECHANIZE_NUM_BETAS_0_NUM_BETAS_MUST = r"mechanize\(num_betas=0\): num_betas must be >= 1"
MSG_MECHANIZE_NUM_BETAS_2_5_NUM_BETAS = r"mechanize\(num_betas=2\.5\): num_betas must be an int"
MSG_MECHANIZE_S_INIT_0_0_S_INIT = r"mechanize\(s_init=0\.0\): s_init must be in \(0, inf\)"
MSG_MESH_MUST_BE_A_JAX_SHARDING_MESH = "mesh must be a jax.sharding.Mesh; got str"
MSG_METHOD_MUST_BE_LM_OR_GN_GOT = "method must be 'lm' or 'gn'; got 'trf'"
MSG_METRIC_MUST_BE_GRAD_NORM_OR_LOSS = "metric must be 'grad_norm' or 'loss'"
MSG_MINIMIZE_MAX_STEPS_1_MAX_STEPS_MUST = r"minimize\(max_steps=-1\): max_steps must be >= 0"
MSG_MIN_DIM_SIZE_TO_FACTOR_MUST_BE = "min_dim_size_to_factor must be >= 0"
MSG_MIN_STEP_SIZE_MUST_BE_MAX_STEP = "min_step_size must be <= max_step_size"
MSG_MODE_MUST_BE_ONE_OF = "mode must be one of"
MSG_MOMO_ADAM_B1_1_0_B1_MUST = r"momo_adam\(b1=1\.0\): b1 must be in \[0, 1\)"
MSG_MOMO_ADAM_B2_0_1 = r"momo_adam\(b2=-0\.1\)"
MSG_MOMO_ADAM_EPS_1_0 = r"momo_adam\(eps=-1\.0\)"
MSG_MOMO_ADAM_WEIGHT_DECAY_1_0 = r"momo_adam\(weight_decay=-1\.0\)"
MSG_MOMO_WEIGHT_DECAY_1_0 = r"momo\(weight_decay=-1\.0\)"
MSG_MUON_ADAM_B2_1_0 = r"muon\(adam_b2=1.0\)"
MSG_MUON_BETA_1_0_BETA_MUST_BE = r"muon\(beta=1.0\): beta must be in \[0, 1\)"
MSG_MUST_BE_A_NUMBER_NOT_A_SCHEDULE = "must be a number, not a schedule"
MSG_MUST_BE_FINITE_AND_0 = "must be finite and >= 0"
MSG_MUST_BE_NON_EMPTY_AND_DISJOINT = "must be non-empty and disjoint"
MSG_MUST_BE_PROBABILITY_DISTRIBUTIONS = "must be probability distributions"
MSG_MUST_NAME_EACH_AXIS_OF_A_WEIGHT = (
    r"must name each axis of a weight of shape \(2, 3\) exactly once"
)
MSG_MUST_RETURN_A_BOOL_SCALAR = "must return a bool scalar"
MSG_MU_DTYPE_MUST_BE_A_DTYPE = "mu_dtype must be a dtype"
MSG_MY_OWN_BUG = "my own bug"
MSG_NEEDS_BATCH_GRAD_FN = "needs batch_grad_fn="
MSG_NEEDS_EVERY_COORDINATE_S_GRADIENT = "needs every coordinate's gradient"
MSG_NEEDS_PARAMS = "needs params"
MSG_NEEDS_THE_EXTRA_ARGUMENT_OBJ_FN = "needs the extra argument obj_fn"
MSG_NEEDS_VALUE_FN = "needs value_fn="
MSG_NEED_FLOAT_VALUES = "need float values"
MSG_NEXT_BATCH_SIZE_FOUND_0 = "next_batch_size: .*found 0"
MSG_NOISY_SGD_GAMMA_1_0 = r"noisy_sgd\(gamma=-1.0\)"
MSG_NOT_DIVISIBLE_BY_MICROBATCH_SIZE_4 = "not divisible by microbatch_size=4"
MSG_NOT_ORDERED = "not ordered"
MSG_NO_FIELD_OR_KEY_NAMED_LEARNING_RAT = (
    "no field or key named 'learning_rat' .*Did you mean 'learning_rate'"
)
MSG_NO_PERELEMENTMEANANDVARIANCEEMASTATE = "no PerElementMeanAndVarianceEMAState"
MSG_NS_COEFFS_MUST_HAVE_SHAPE_3_OR = (
    r"ns_coeffs must have shape \(3,\) or \(n, 3\); got shape \(2,\)"
)
MSG_NS_STEPS_MUST_BE_5_GOT_3 = "ns_steps must be >= 5; got 3"
MSG_NS_STEPS_MUST_BE_AN_INT = "ns_steps must be an int"
MSG_NUM_EXAMPLES_MUST_BE_1_GOT_0 = "num_examples must be >= 1; got 0"
MSG_NUM_ITERS_1_NUM_ITERS_MUST_BE = r"num_iters=-1\): num_iters must be in \[0, inf\)"
MSG_NUM_SAMPLES_2_NUM_SAMPLES_MUST_BE = r"num_samples=2\): num_samples must be >= 3"
MSG_NUM_SAMPLES_MUST_BE_AN_INT = "num_samples must be an int"
MSG_NU_IS_ONLY_USED_WITH_TEST_INNER = "nu is only used with test='inner_product'"
MSG_ONE_BOUNDARY_FEWER_THAN_SCHEDULES_GOT_3 = (
    "one boundary fewer than schedules; got 3 schedules and 1"
)
MSG_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION = "optimizer must be a GradientTransformation"
MSG_ORDER_5_ORDER_MUST_BE_AT_LEAST = r"order=5\): order must be at least the 6"
MSG_ORDER_MUST_BE_AN_INT = "order must be an int"
MSG_OUT_AXES_1 = "out_axes=1"
MSG_PARAMS_AT_PATH_OUT_1_HAVE_LABEL = "params at path \\['out'\\]\\[1\\] have label 'c', which has no transformation; transforms has labels \\[\\\"'a'\\\", \\\"'b'\\\"\\]"
MSG_PARAM_LABELS_AND_PARAMS_DIFFER_AT_PATH = r"param_labels and params differ at path \['norm'\]\['bias'\]: present in param_labels but not in params"
MSG_PASS_KEY_OR_SEED_NOT_BOTH = "pass key or seed, not both"
MSG_PASS_PER_EXAMPLE_GRADS = "pass per_example_grads="
MSG_PATIENCE_MUST_BE_IN_1_INF = r"patience must be in \[1, inf\)"
MSG_PCT_FINAL_MUST_BE_IN_0_5 = r"pct_final must be in \[0.5, 1\]"
MSG_POLYAK_AVERAGING_UPDATE_NEEDS_PARAMS = "polyak_averaging: update needs params"
MSG_POLYAK_SGD_SCALING_1_0 = r"polyak_sgd\(scaling=-1.0\): scaling must be in"
MSG_POLYAK_SGD_MAX_LEARNING_RATE_1_0 = r"polyak_sgd\(max_learning_rate=-1.0\)"
MSG_POWER_ITERATION_V0_MUST_BE_GIVEN = "power_iteration: v0 must be given"
MSG_PRECONDITIONING_MUST_BE_ONE_OF = "preconditioning must be one of"
MSG_PRODIGY_BETA3_1_0 = r"prodigy\(beta3=1\.0\)"
MSG_PRODIGY_BETAS_0_1_0_BETAS_0 = r"prodigy\(betas\[0\]=1\.0\): betas\[0\] must be in \[0, 1\)"
MSG_PRODIGY_BETAS_0_9_BETAS_MUST_BE = r"prodigy\(betas=0\.9\): betas must be a pair"
MSG_PRODIGY_EPS_1_0 = r"prodigy\(eps=-1\.0\)"
MSG_PRODIGY_ESTIM_LR0_0_0_ESTIM_LR0 = r"prodigy\(estim_lr0=0\.0\): estim_lr0 must be in \(0, inf\)"
MSG_PRODIGY_ESTIM_LR_COEF_0_0 = r"prodigy\(estim_lr_coef=0\.0\)"
MSG_PRODIGY_LEARNING_RATE_1_0 = r"prodigy\(learning_rate=-1\.0\)"
MSG_PRODIGY_UPDATE_NEEDS_THE_PARAMS = "prodigy: update needs the params"
MSG_PRODIGY_WEIGHT_DECAY_1_0 = r"prodigy\(weight_decay=-1\.0\)"
MSG_PROJECTION_MUST_BE_CALLABLE = "projection must be callable"
MSG_PROX_MUST_BE_CALLABLE = "prox must be callable"
MSG_REDUCE_ON_PLATEAU_FACTOR_1_0_FACTOR = (
    r"reduce_on_plateau\(factor=1.0\): factor must be in \(0, 1\)"
)
MSG_REDUCTION_MUST_BE_MEAN_SUM_OR_NONE = "reduction must be 'mean', 'sum' or 'none'"
MSG_FUNCTION_RESTART_NEEDS_H = "function restart compares F = f + h, so it needs nonsmooth_fn="
MSG_NONSMOOTH_FN_MUST_BE_CALLABLE = "nonsmooth_fn must be callable"
MSG_RESTART_MUST_BE_ONE_OF = "restart must be one of"
MSG_RTOL_MUST_BE_IN_0_1 = r"rtol must be in \[0, 1\]"
MSG_RULE_0_HAS_AN_INVALID_PATTERN = r"rule 0 has an invalid pattern '\('"
MSG_RULE_MUST_BE_ONE_OF = "rule must be one of"
MSG_SADDLE_PERTURBATION_RADIUS_1_0_RADIUS_MUST = (
    r"saddle_perturbation\(radius=-1.0\): radius must be"
)
MSG_SAME_BATCH_SIZE = "same batch size"
MSG_SAME_LEADING_SIZE = "same leading size"
MSG_SAM_ADV_OPTIMIZER_ADV_OPTIMIZER_MUST_BE = (
    r"sam\(adv_optimizer=\.\.\.\): adv_optimizer must be a GradientTransformation"
)
MSG_SAM_OPTIMIZER_OPTIMIZER_MUST_BE_A_GRADIENTTRANSFORMATION = (
    r"sam\(optimizer=\.\.\.\): optimizer must be a GradientTransformation"
)
MSG_SAM_SYNC_PERIOD_2_0_SYNC_PERIOD = r"sam\(sync_period=2\.0\): sync_period must be an int"
MSG_SCALES_MUST_BE_0_GOT_SCALE_0 = "scales must be >= 0; got scale -0.1 at step 10"
MSG_SCALE_BY_DISTANCE_OVER_GRADIENTS = "scale_by_distance_over_gradients"
MSG_SCALE_BY_FACTORED_RMS_EPSILON_1_0 = r"scale_by_factored_rms\(epsilon=-1.0\)"
MSG_SCALE_BY_GALORE_BASE_OPTIMIZER_BASE_OPTIMIZER = (
    r"scale_by_galore\(base_optimizer=\.\.\.\): base_optimizer must be a GradientTransformation"
)
MSG_SCALE_BY_LBFGS_MEMORY_SIZE_0_MEMORY = (
    r"scale_by_lbfgs\(memory_size=0\): memory_size must be >= 1"
)
MSG_SCALE_BY_LION_B2_1_0_B2 = r"scale_by_lion\(b2=1\.0\): b2 must be in \[0, 1\)"
MSG_SCALE_BY_LION_MODE_SOFT_MODE_MUST = (
    r"scale_by_lion\(mode='soft'\): mode must be one of \('hard', 'smooth', 'refined'\)"
)
MSG_SCALE_BY_MADGRAD_UPDATE_NEEDS_PARAMS = "scale_by_madgrad: update needs params"
MSG_SCALE_BY_MUON_EPS_1_0 = r"scale_by_muon\(eps=-1.0\)"
MSG_SCALE_BY_PARAM_BLOCK_NORM_MIN_SCALE = r"scale_by_param_block_norm\(min_scale=-1\.0\)"
MSG_SCALE_BY_PARAM_BLOCK_RMS_MIN_SCALE = r"scale_by_param_block_rms\(min_scale=-1\.0\)"
MSG_SCALE_BY_POLYAK_EPS_1_0 = r"scale_by_polyak\(eps=-1.0\)"
MSG_SCALE_BY_POLYAK_UPDATE_NEEDS_THE_LOSS = "scale_by_polyak: update needs the loss; .*value=loss"
MSG_SCALE_BY_SAGA_UPDATE_NEEDS_INDEX = "scale_by_saga: update needs index="
MSG_SCALE_BY_SM3_B1_1_0_B1 = r"scale_by_sm3\(b1=1.0\): b1 must be in \[0, 1\)"
MSG_SCALE_BY_SM3_B2_1_5_B2 = r"scale_by_sm3\(b2=1.5\): b2 must be in \[0, 1\]"
MSG_SCALE_BY_SOPHIA_B1_0_1 = r"scale_by_sophia\(b1=-0\.1\)"
MSG_SCALE_BY_SOPHIA_UPDATE_NEEDS_THE_PARAMS = "scale_by_sophia: update needs the params"
MSG_SCALE_BY_TRUST_RATIO_EPS_0_001 = r"scale_by_trust_ratio\(eps=-0\.001\)"
MSG_SCALE_BY_TRUST_RATIO_MIN_NORM_1 = (
    r"scale_by_trust_ratio\(min_norm=-1\.0\): min_norm must be in \[0, inf\)"
)
MSG_SCHEDULE_FREE_ADAMW_B2_1_0_B2 = r"schedule_free_adamw\(b2=1\.0\): b2 must be in \[0, 1\)"
MSG_SCHEDULE_FREE_ADAMW_EPS_1E_08 = r"schedule_free_adamw\(eps=-1e-08\)"
MSG_SCHEDULE_FREE_ADAMW_LEARNING_RATE_1_0 = r"schedule_free_adamw\(learning_rate=-1\.0\)"
MSG_SCHEDULE_FREE_ADAMW_WARMUP_STEPS_0_WARMUP = (
    r"schedule_free_adamw\(warmup_steps=0\): warmup_steps must be in \[1, inf\)"
)
MSG_SCHEDULE_FREE_ADAMW_WEIGHT_DECAY = r"schedule_free_adamw\(weight_decay"
MSG_SCHEDULE_FREE_LEARNING_RATE_0_1_LEARNING = (
    r"schedule_free\(learning_rate=-0\.1\): learning_rate must be in \[0, inf\)"
)
MSG_SCHEDULE_FREE_SGD_B1_0_0 = r"schedule_free_sgd\(b1=0\.0\)"
MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_0_WARMUP = (
    r"schedule_free_sgd\(warmup_steps=0\): warmup_steps must be >= 1"
)
MSG_SCHEDULE_FREE_SGD_WARMUP_STEPS_2_5 = (
    r"schedule_free_sgd\(warmup_steps=2\.5\): warmup_steps must be None or an int >= 1"
)
MSG_SCHEDULE_FREE_SGD_WEIGHT_DECAY_1_0 = r"schedule_free_sgd\(weight_decay=-1\.0\)"
MSG_SCHEDULE_FREE_UPDATE_NEEDS_THE_PARAMS = "schedule_free: update needs the params"
MSG_SCHEDULE_FREE_WEIGHT_LR_POWER_1_0 = r"schedule_free\(weight_lr_power=-1\.0\)"
MSG_SHAPE_2_2_2_2_2_2 = r"shape \(2, 2, 2, 2, 2, 2\) \(rank 6\); pass axis="
MSG_SHARD_STATE_OVER_AXIS_BATCH_AXIS_MUST = (
    r"shard_state_over\(axis='batch'\): axis must be one of the mesh's axes \('data',\)"
)
MSG_SHOULD_TRANSFORM_FN_MUST_RETURN_A_BOOLEAN = "should_transform_fn must return a boolean scalar"
MSG_SIGMA_0_0_SIGMA_MUST_BE_IN = r"sigma=0.0\): sigma must be in \(0, inf\)"
MSG_SIMPLIFIED_ADEMAMIX_ALPHA_1_0_ALPHA_MUST = (
    r"simplified_ademamix\(alpha=-1\.0\): alpha must be in \[0, inf\)"
)
MSG_SIMPLIFIED_ADEMAMIX_B1_1_0_B1_MUST = r"simplified_ademamix\(b1=1\.0\): b1 must be in \[0, 1\)"
MSG_SIMPLIFIED_ADEMAMIX_B2_1_5 = r"simplified_ademamix\(b2=1\.5\)"
MSG_SIMPLIFIED_ADEMAMIX_EPS_1_0 = r"simplified_ademamix\(eps=-1\.0\)"
MSG_SIMPLIFIED_ADEMAMIX_WEIGHT_DECAY_1_0 = r"simplified_ademamix\(weight_decay=-1\.0\)"
MSG_SLOW_STEP_SIZE_MUST_BE_IN_0 = r"slow_step_size must be in \[0, 1\]"
MSG_SMOOTH_BETA_MUST_BE_IN_0_INF = r"smooth_beta must be in \(0, inf\)"
MSG_SOFTMAX_CROSS_ENTROPY_LOGITS_MUST_HAVE_A = "softmax_cross_entropy: logits must have a floating"
MSG_SOFTMAX_CROSS_ENTROPY_WITH_INTEGER_LABELS_LABELS = (
    "softmax_cross_entropy_with_integer_labels: labels must have an integer"
)
MSG_SOPHIA_B1_1_0_B1_MUST_BE = r"sophia\(b1=1\.0\): b1 must be in \[0, 1\)"
MSG_SOPHIA_B2_0_5 = r"sophia\(b2=-0\.5\)"
MSG_SOPHIA_CLIP_THRESHOLD_0_0_CLIP_THRESHOLD = (
    r"sophia\(clip_threshold=0\.0\): clip_threshold must be in \(0, inf\)"
)
MSG_SOPHIA_EPS_1_0 = r"sophia\(eps=-1\.0\)"
MSG_SOPHIA_GAMMA_1_0 = r"sophia\(gamma=-1\.0\)"
MSG_SOPHIA_LEARNING_RATE_0_1 = r"sophia\(learning_rate=-0\.1\)"
MSG_SOPHIA_PRINT_WIN_RATE_EVERY_N_STEPS = (
    r"sophia\(print_win_rate_every_n_steps=0\): print_win_rate_every_n_steps must be in \[1"
)
MSG_SOPHIA_UPDATE_INTERVAL_0_UPDATE_INTERVAL_MUST = (
    r"sophia\(update_interval=0\): update_interval must be in \[1, inf\)"
)
MSG_SOPHIA_WEIGHT_DECAY_1_0 = r"sophia\(weight_decay=-1\.0\)"
MSG_SPECTRAL_DENSITY_ORDER_28_ORDER_MUST_BE = (
    r"spectral_density\(order=28\): order must be in \[1, 27\]"
)
MSG_SPLIT_REAL_AND_IMAGINARY_INNER_INNER_MUST = (
    r"split_real_and_imaginary\(inner=\.\.\.\): inner must be a GradientTransformation"
)
MSG_STATE_DTYPE_MUST_BE_A_DTYPE = "state_dtype must be a dtype"
MSG_STATE_HAS_1_ENTRIES_BUT_THE_CHAIN = "state has 1 entries but the chain has 2"
MSG_STATE_SHARDINGS_THE_PARAM_AT_W_HAS = r"state_shardings: the param at \['w'\] has no sharding"
MSG_STATIC_ARGS_FOO_FOO_ARE_NOT_PARAMETERS = (
    r"static_args=\['foo'\]\): \['foo'\] are not parameters of adam"
)
MSG_STEP_SIZE_UP_MUST_BE_FINITE_AND = "step_size_up must be finite and > 0"
MSG_STRONG_CONVEXITY_MUST_BE_IN = "strong_convexity must be in"
MSG_TEST_MUST_BE_ONE_OF = "test must be one of"
MSG_THAT_PASSES_THE_FILTERING_FUNCTION = "that passes the filtering function"
MSG_THRESHOLD_MUST_BE_IN_0 = r"threshold must be in \(0"
MSG_TOL_MUST_BE_IN = "tol must be in"
MSG_TOL_MUST_BE_IN_0_INF_GOT = r"tol must be in \[0, inf\); got -1.0"
MSG_TRANSFORMS_MUST_BE_A_MAPPING = "transforms must be a mapping"
MSG_TRANSITION_BEGIN_MUST_BE_FINITE_AND_0 = "transition_begin must be finite and >= 0"
MSG_TRANSITION_STEPS_MUST_BE_A_CONCRETE_NUMBER = "transition_steps must be a concrete number"
MSG_TRANSITION_STEPS_MUST_BE_FINITE_AND_0 = "transition_steps must be finite and > 0"
MSG_TREE_SET_LEARNING_RATE_THE_NEW_VALUE = (
    r"tree_set\(learning_rate=...\): the new value has shape \(3,\)"
)
MSG_TRUST_COEFFICIENT_MUST_BE_IN_0_INF = r"trust_coefficient must be in \(0, inf\); got 0\.0"
MSG_TX_MUST_BE_A_GRADIENTTRANSFORMATION_OR_AN = (
    "tx must be a GradientTransformation or an init function"
)
MSG_UNKNOWN_PRESET_USE_ONE_OF_STANDARD_DION = "unknown preset; use one of 'standard', 'dion'"
MSG_UPDATE_NEEDS_PARAMS = "update needs params"
MSG_UPDATE_NEEDS_PARAMS_LOOKAHEADPARAMS = "update needs params=LookaheadParams"
MSG_UPDATE_NEEDS_PARAMS_VALUE_AND_GRAD = "update needs params, value= and grad="
MSG_UPDATE_NEEDS_THE_LOSS_CALL_UPDATE_GRADS = (
    r"update needs the loss; call update\(grads, state, params, value=loss\)"
)
MSG_UPDATE_NEEDS_THE_MONITORED_VALUE = "update needs the monitored value"
MSG_VARIANT_MUST_BE_ONE_OF_SPS_SPS = r"variant must be one of 'sps', 'sps\+'; got 'sgd'"
MSG_WAIT_STEPS_MUST_BE_AN_INT = "wait_steps must be an int"
MSG_WARMUP_EXPONENTIAL_DECAY_SCHEDULE_DECAY_RATE_0 = (
    r"warmup_exponential_decay_schedule\(decay_rate=0.0\)"
)
MSG_WAS_NOT_WRITTEN_BY_SAVE_NPZ = "was not written by save_npz"
MSG_WEIGHT_DECAY_RATE_MUST_BE_IN_0 = r"weight_decay_rate must be in \[0, inf\)"
MSG_WHICH_TOP_WHICH_MUST_BE = r"which='top'\): which must be"
MSG_X_MUST_BE_N_SAMPLES_N_FEATURES = r"X must be \(n_samples, n_features\)"

# Added with the reliability work (issue 15)
MSG_REFILL_MISMATCH = (
    r"tree_refill_empty: at path \['p'\] the target has a zero-size leaf \(0, 0\) but the "
    r"tree holds shape \(3,\)"
)
MSG_DELTA = r"scale_by_hager_zhang_linesearch\(delta=0.5\): delta must be in \(0, 0.5\); got 0.5"
MSG_STRATEGY = r"initial_guess_strategy must be one of \('one', 'keep', 'hager-zhang'\)"
MSG_EXTRA_ARGS = "update needs params, value= and grad="
MSG_ADJUSTMENT = "damping_adjustment must be None or 'martens'; got 'nielsen'"
MSG_MARTENS_DAMPING = r"damping must be in \(0, inf\) with damping_adjustment='martens'"
MSG_BOUNDS_PAIR = r"bounds must be a pair \(lower, upper\)"
MSG_BOUNDS_CROSSED = r"bounds must have lower <= upper; got lower 2.0 > upper 1.0 at flat index 1"
MSG_BOUNDS_OPTIMIZER = "bounds= runs minimize's projected L-BFGS and takes no optimizer"
MSG_MISMATCH = "update got a state that this transformation's init did not build"
MSG_FIX = "Build the state with this transformation's own init on the same params"
MSG_RESTORE = "gradtx.tree_utils.load_npz(path, target=jax.eval_shape(tx.init, params))"
MSG_OTHER_OPTIMIZER = (
    "at path [0] init(params) builds a ScaleByAdamState and the state has a TraceState"
)
MSG_LIST_FOR_TUPLE = "at the root init(params) builds a tuple and the state has a list"
MSG_DICT_FOR_NAMEDTUPLE = (
    "at path [0] init(params) builds a ScaleByAdamState and the state has a dict"
)
MSG_MISSING_PATH = (
    "init(params) and the state differ at path [0].mu['b']: "
    "present in init(params) but not in the state"
)
MSG_SHAPE = "init(params) and the state differ at path [0].mu['a']: init(params) has shape (3,), the state (4,)"
MSG_UPDATES_AND_MU_DIFFER = r"gradtx.scale_by_adam: updates and mu differ at path \['a'\]"
MSG_INJECT = "at the root init(params) builds an InjectHyperparamsState and the state has a tuple"
MSG_LR_TYPE = "learning_rate must be a float, a scalar array or a schedule; got"
MSG_ANY_LR_TYPE = "learning_rate must be a float"  # the others add "(or None)" or drop schedules
MSG_SCALAR_TYPE = "must be a float or a scalar array; got"
MSG_INIT_NEEDS_FLOAT = "init needs floating-point (or complex) params; got"
MSG_INIT_NEEDS_REAL = "init needs real floating-point params; got"
MSG_INIT_NO_COMPLEX = "init does not support complex params; got"
MSG_CAST_HINT = "Cast the params"
MSG_MAX_SIGNATURES = "max_signatures must be an int >= 1"
