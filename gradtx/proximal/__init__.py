"""Proximal operators (L1, elastic net, group lasso, ridge, projections as proxes)."""
