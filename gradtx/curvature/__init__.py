"""Curvature: Hessian-, Gauss-Newton- and Fisher-vector products, Hessian spectra, critical points."""

# ruff: noqa: I001  (sorted by defining module)
from gradtx.curvature._critical import CRITICAL_POINT_LABELS as CRITICAL_POINT_LABELS
from gradtx.curvature._critical import CriticalPoint as CriticalPoint
from gradtx.curvature._critical import classify_critical_point as classify_critical_point
from gradtx.curvature._density import SpectralDensity as SpectralDensity
from gradtx.curvature._density import spectral_density as spectral_density
from gradtx.curvature._eigen import HessianEigenResult as HessianEigenResult
from gradtx.curvature._eigen import hessian_eigenvalues as hessian_eigenvalues
from gradtx.curvature._lanczos import LanczosResult as LanczosResult
from gradtx.curvature._lanczos import lanczos as lanczos
from gradtx.curvature._power import power_iteration as power_iteration
from gradtx.curvature._products import empirical_fisher_vp as empirical_fisher_vp
from gradtx.curvature._products import fisher_vp as fisher_vp
from gradtx.curvature._products import gnvp as gnvp
from gradtx.curvature._products import hvp as hvp
from gradtx.curvature._trace import hessian_diagonal as hessian_diagonal
from gradtx.curvature._trace import hessian_trace as hessian_trace
from gradtx.curvature._sharpness import TrackSharpnessState as TrackSharpnessState
from gradtx.curvature._sharpness import track_sharpness as track_sharpness
