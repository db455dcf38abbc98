import Foundation
import Strata
import Testing

/// The two layer numbers: typed apart, encoded as bare numbers (stream states and checkpoints that hold
/// them stay plain JSON), ordered by value.
struct LayerNumberTests {
    @Test func encodeAsBareNumbersAndDecodeBack() throws {
        let positions: [LayerPosition] = [3, 0, 30]
        let indices = [HiddenStateIndex(7), HiddenStateIndex(rawValue: 0)]
        #expect(String(decoding: try JSONEncoder().encode(positions), as: UTF8.self) == "[3,0,30]")
        #expect(String(decoding: try JSONEncoder().encode(indices), as: UTF8.self) == "[7,0]")
        #expect(try JSONDecoder().decode([LayerPosition].self, from: Data("[3,0,30]".utf8)) == positions)
        #expect(try JSONDecoder().decode([HiddenStateIndex].self, from: Data("[7,0]".utf8)) == indices)
    }

    @Test func orderAndDescribeByValue() {
        #expect([LayerPosition(5), 1, 3].sorted() == [1, 3, 5])
        #expect(HiddenStateIndex(2) < HiddenStateIndex(10))
        #expect(LayerPosition(4).description == "layer position 4")
        #expect(HiddenStateIndex(4).description == "hidden state 4")
        #expect(([LayerPosition(2), 5] as [LayerPosition]).rawValues == [2, 5])
    }
}
