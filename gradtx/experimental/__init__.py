"""Experimental namespaces, as optax.experimental has them."""

from gradtx.experimental import aggregating as aggregating
