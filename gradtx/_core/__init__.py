"""The core: the transformation contract, eager compilation, numerics and validation."""
