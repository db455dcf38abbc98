// StrataHDF5: HDF5 import / export of Strata datasets.
import CHDF5
import CZstd
import Strata
