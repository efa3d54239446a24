"""Curvature: Hessian-, Gauss-Newton- and Fisher-vector products, Hessian spectra, critical points."""
