"""Curvature: Hessian-, Gauss-Newton- and Fisher-vector products, Hessian spectra, critical points."""

from gradtx.curvature._products import empirical_fisher_vp as empirical_fisher_vp
from gradtx.curvature._products import fisher_vp as fisher_vp
from gradtx.curvature._products import gnvp as gnvp
from gradtx.curvature._products import hvp as hvp
