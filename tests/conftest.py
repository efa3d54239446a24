import jax

# Tests run with float64 available (for float64 references and f64 contract checks)
# and raise on implicit rank promotion, which catches silent broadcasting bugs.
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
