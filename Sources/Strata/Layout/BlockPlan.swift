/// How a record of layers × tokens × hidden values is cut into blocks: whole layer groups (at most
/// `layersPerBlock` layers each), each cut into consecutive token ranges so a block's raw size stays
/// within the target. Blocks are listed layer group by layer group, tokens ascending within a group.
///
/// Default grouping (`layersPerBlock == nil`): the fewest layers whose bytes reach a quarter of the
/// target. Long records then get one layer per block (a one-layer read decodes only that layer),
/// while short records are grouped into blocks of a useful size (measured in benchmarks/format.md:
/// 8–16-token records read 30% faster in 4-layer blocks than in 1-layer blocks).
struct BlockPlan {
    struct Tile: Equatable {
        var layerStart: Int, layerCount: Int, tokenStart: Int, tokenCount: Int
    }

    let tiles: [Tile]

    init(layers: Int, tokens: Int, hidden: Int, width: Int, targetBytes: Int, layersPerBlock: Int?) {
        guard tokens > 0, layers > 0 else {
            tiles = []
            return
        }
        let target = max(1, targetBytes)
        let layerBytes = tokens * hidden * width
        let quarter = max(1, target / 4)
        let derived = (quarter + max(1, layerBytes) - 1) / max(1, layerBytes)
        let lpb = max(1, min(layers, layersPerBlock ?? derived))
        // Tokens per block so that lpb layers × tpb tokens stay within the target (at least one token).
        let tpb = max(1, min(tokens, target / max(1, lpb * hidden * width)))
        var tiles: [Tile] = []
        var layer = 0
        while layer < layers {
            let lc = min(lpb, layers - layer)
            var token = 0
            while token < tokens {
                let tc = min(tpb, tokens - token)
                tiles.append(Tile(layerStart: layer, layerCount: lc, tokenStart: token, tokenCount: tc))
                token += tc
            }
            layer += lc
        }
        self.tiles = tiles
    }
}
