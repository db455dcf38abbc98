import Foundation
import StrataTestSupport
import Testing

@testable import StrataHDF5

/// Files written by h5py (Tests/StrataHDF5Tests/hdf5_fixtures.py) in every supported layout read back record by
/// record with exactly the values, token ids, labels, ids and texts the generator wrote.
@Suite struct LayoutDetectionTests {
    static func options(_ fixture: HDF5Fixture) -> HDF5ImportOptions {
        var options = HDF5ImportOptions()
        options.dataName = fixture.options["data"]
        options.labelsName = fixture.options["labels"]
        if let name = fixture.options["offsets"] { options.boundaries = .offsets(name) }
        if let name = fixture.options["lengths"] { options.boundaries = .lengths(name) }
        if let name = fixture.options["mask"] { options.boundaries = .mask(name) }
        options.allowFloat64Downcast = fixture.options["allow_float64"] != nil
        return options
    }

    @Test(.needsPython("h5py", "hdf5plugin", "numpy")) func importsEveryLayoutExactly() throws {
        let set = try #require(try HDF5Fixtures.load())
        let readable = set.fixtures.filter { $0.error == nil }
        #expect(readable.count >= 8)
        for fixture in readable {
            let source = try HDF5RecordSource(path: set.path(fixture.name), options: Self.options(fixture))
            let layout = source.layout
            let expectedRecords = try #require(fixture.records)
            #expect(layout.valueType.rawValue == fixture.value_type, "\(fixture.name)")
            #expect(layout.layerCount == fixture.layers && layout.hidden == fixture.hidden, "\(fixture.name)")
            #expect(source.count == expectedRecords.count, "\(fixture.name): \(layout.summary)")
            switch (fixture.layout, layout.arrangement) {
            case ("ragged", .ragged), ("padded", .padded), ("groups", .groupPerExample): break
            default: Issue.record("\(fixture.name): detected \(layout.summary)")
            }
            var values = Data()
            for (index, expected) in expectedRecords.enumerated() where index < source.count {
                let record = try source.record(index)
                #expect(record.id == expected.id, "\(fixture.name) record \(index)")
                #expect(record.labels == expected.labels, "\(fixture.name) record \(index)")
                #expect(record.tokenIDs == expected.token_ids, "\(fixture.name) record \(index)")
                #expect(record.text == expected.text, "\(fixture.name) record \(index)")
                #expect(record.tokenCount == expected.tokens, "\(fixture.name) record \(index)")
                var buffer = [UInt8](repeating: 0, count: source.valueByteCount(index))
                try buffer.withUnsafeMutableBytes { try source.readValues(index, into: $0) }
                values.append(contentsOf: buffer)
            }
            #expect(values == (try set.expected(fixture.name)), "\(fixture.name): values differ")
        }
    }

    @Test(.needsPython("h5py", "hdf5plugin", "numpy")) func refusesUnsupportedFilesWithAClearError() throws {
        let set = try #require(try HDF5Fixtures.load())
        let refused = set.fixtures.filter { $0.error != nil }
        #expect(refused.count >= 6)
        for fixture in refused {
            do {
                let source = try HDF5RecordSource(path: set.path(fixture.name), options: Self.options(fixture))
                for index in 0..<source.count {
                    var buffer = [UInt8](repeating: 0, count: source.valueByteCount(index))
                    try buffer.withUnsafeMutableBytes { try source.readValues(index, into: $0) }
                }
                Issue.record("\(fixture.name) imported, expected an error containing '\(fixture.error!)'")
            } catch {
                let message = String(describing: error)
                #expect(message.contains(fixture.error!), "\(fixture.name): \(message)")
            }
        }
    }

    @Test(.needsPython("h5py", "hdf5plugin", "numpy")) func errorListsTheDatasetsFound() throws {
        let set = try #require(try HDF5Fixtures.load())
        do {
            _ = try HDF5RecordSource(path: set.path("no_boundaries"))
            Issue.record("no_boundaries imported")
        } catch let error as HDF5ImportError {
            #expect(error.datasetsFound.contains { $0.hasPrefix("/hidden_states") && $0.contains("12×3×8") })
            #expect(error.datasetsFound.contains { $0.hasPrefix("/labels") })
            #expect(error.description.contains("needed:"))
        }
    }

    @Test func layoutOptionParsing() throws {
        #expect(try HDF5Axis.parseOrder("tokens,layers,hidden") == [.tokens, .layers, .hidden])
        #expect(try HDF5Axis.parseOrder("n, l, t, h") == [.records, .layers, .tokens, .hidden])
        #expect(throws: HDF5ImportError.self) { try HDF5Axis.parseOrder("tokens,tokens,hidden") }
        #expect(throws: HDF5ImportError.self) { try HDF5Axis.parseOrder("layers,hidden") }
        #expect(throws: HDF5ImportError.self) { try HDF5Axis.parseOrder("tokens,heads,hidden") }
    }
}
