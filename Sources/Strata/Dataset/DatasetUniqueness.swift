/// The two rules that keep the records of several shards distinct (spec/FORMAT.md §11): no shard file
/// taken twice (whatever its spelling, symbolic link or hard link), and no record id in two places.
/// `StrataDataset` (and so `strata verify` and every reader) and `strata merge` check both.
enum DatasetUniqueness {
    /// A record's place: shard position among the readers checked, and ordinal within that shard.
    struct Place: Comparable {
        var shard: Int
        var record: Int

        static func < (a: Place, b: Place) -> Bool { (a.shard, a.record) < (b.shard, b.record) }
    }

    /// A record id found at two places, `first` before `second` in shard order.
    struct DuplicateID {
        var id: String
        var first: Place
        var second: Place
    }

    /// Positions `(i, j)`, `i < j`, of the first two readers open on the same file (same device and inode).
    static func firstRepeatedShard(_ readers: [ShardReader]) -> (Int, Int)? {
        var seen: [FileIdentity: Int] = [:]
        for (j, reader) in readers.enumerated() {
            if let i = seen.updateValue(j, forKey: reader.fileIdentity) { return (i, j) }
        }
        return nil
    }

    /// The duplicate id whose second occurrence comes first in shard order, or nil when all ids differ.
    ///
    /// Cost: one 48-byte read per record (the id hash in its entry header; spec/FORMAT.md §6) and 16 bytes
    /// of memory per record; only records whose hashes collide have their ids read. A record whose entry
    /// header is damaged is left out here: reading it fails and names it.
    static func firstDuplicateID(_ readers: [ShardReader]) throws -> DuplicateID? {
        struct Hashed {
            var hash: UInt64
            var shard: UInt32
            var record: UInt32
            var place: Place { Place(shard: Int(shard), record: Int(record)) }
        }
        var hashed: [Hashed] = []
        hashed.reserveCapacity(readers.reduce(0) { $0 + $1.count })
        for (s, reader) in readers.enumerated() {
            for r in 0..<reader.count {
                if let hash = try reader.entryIDHash(r) { hashed.append(Hashed(hash: hash, shard: UInt32(s), record: UInt32(r))) }
            }
        }
        hashed.sort { $0.hash < $1.hash }

        var found: DuplicateID?
        var start = 0
        while start < hashed.count {
            var end = start + 1
            while end < hashed.count && hashed[end].hash == hashed[start].hash { end += 1 }
            if end - start > 1 {
                // Equal hashes: compare the ids themselves (different ids may share a 64-bit hash).
                var firstPlace: [String: Place] = [:]
                for place in hashed[start..<end].map(\.place).sorted() {
                    let id = try readers[place.shard].info(place.record).id
                    if let earlier = firstPlace[id] {
                        if found.map({ place < $0.second }) ?? true { found = DuplicateID(id: id, first: earlier, second: place) }
                    } else {
                        firstPlace[id] = place
                    }
                }
            }
            start = end
        }
        return found
    }
}
