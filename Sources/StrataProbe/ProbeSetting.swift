import StrataUtilities

/// The settings of probe construction and training, named in words for `InvalidSetting` (the CLI maps each
/// to its flag; those that come from the data rather than from a flag keep their words there too).
public enum ProbeSetting: String, LibrarySetting {
    case probeKind = "probe kind"
    case classes = "classes"
    case featureWidth = "feature width"
    case hidden = "hidden size"
    case layers = "layers"
    case layerPositions = "layer positions"
    case heads = "attention heads"
    case downcast = "downcast width"
    case memoryBudget = "memory budget"
    case resumedState = "resumed training state"
    case solver = "solver"
    case regularizationGrid = "regularization grid (C values)"
    case trainingRecords = "training records"
    case tuning = "tuning"
    case tuningBudget = "tuning budget"
    case distributed = "data-parallel training"
    case validationData = "validation data"
}
