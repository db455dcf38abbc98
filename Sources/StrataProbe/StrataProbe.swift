// StrataProbe: tensors on BLAS, probes, optimizer, trainer, metrics.
import CBLAS
import Strata
