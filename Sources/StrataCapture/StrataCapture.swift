// StrataCapture: text dataset -> model -> Strata dataset.
import Strata
import StrataModel
