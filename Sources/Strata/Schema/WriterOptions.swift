/// Tunables of the shard writer.
public struct WriterOptions: Sendable {
    /// zstd compression level (1...19; 1 is about as compact as 3 on hidden states and twice as fast).
    public var zstdLevel: Int = 1
    /// Target uncompressed bytes per block.
    public var blockTargetBytes: Int = 256 * 1024
    /// Layers per block; nil = derived: the fewest layers whose bytes reach a quarter of the block target
    /// (one layer per block for records longer than ~57 tokens at hidden 576 in bf16).
    public var layersPerBlock: Int? = nil
    /// fsync after every record (survives power loss, not just a killed process); slower.
    public var syncEveryRecord: Bool = false
    /// Threads compressing the blocks of one record (records of 256 KiB or more); 0 = one per active
    /// core. Blocks are still written in order, so the crash contract is unchanged.
    public var compressionThreads: Int = 0

    public init() {}

    public init(
        zstdLevel: Int = 1, blockTargetBytes: Int = 256 * 1024, layersPerBlock: Int? = nil, syncEveryRecord: Bool = false,
        compressionThreads: Int = 0
    ) {
        self.compressionThreads = compressionThreads
        self.zstdLevel = zstdLevel
        self.blockTargetBytes = blockTargetBytes
        self.layersPerBlock = layersPerBlock
        self.syncEveryRecord = syncEveryRecord
    }
}
