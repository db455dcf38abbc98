// Strata: the hidden-state dataset format (schema, block codec, writer, reader,
// datasets, streaming).
import CZstd

/// The version of the Strata tool, written into every shard's metadata.
public let strataToolVersion = "0.1.0"
