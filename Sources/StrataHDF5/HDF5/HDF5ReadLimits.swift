/// How much Strata reads of one HDF5 dataset into memory at once (spec/HDF5.md §5). An HDF5 file
/// can declare arrays far larger than itself (chunks never written read back as the fill value),
/// so every size taken from a file is bounded before anything is allocated: a record's values by
/// `StrataLimits.maxRecordValueBytes` and its other dimensions by the format's per-field limits,
/// and the datasets import reads whole (offsets, lengths, masks, labels, token ids, ids, texts,
/// auxiliary vectors) by this.
public enum HDF5ReadLimits {
    /// Largest whole-dataset read, in bytes of memory (8 GiB: 2^30 int64 offsets or token ids,
    /// 2^31 float32 auxiliary values).
    public static let maxWholeReadBytes = 8 << 30
}
