import Foundation
import StrataTestSupport
import Testing

/// One fixture listed in fixtures.json by Tests/StrataHDF5Tests/hdf5_fixtures.py.
struct HDF5Fixture: Decodable {
    struct Record: Decodable {
        var id: String
        var labels: [Int]
        var token_ids: [Int32]
        var text: String?
        var tokens: Int
    }
    var name: String
    var options: [String: String]
    var value_type: String?
    var layout: String?
    var layers: Int?
    var hidden: Int?
    var records: [Record]?
    var error: String?
    /// Whole HDF5 chunks the importer must store as Strata blocks without re-encoding.
    var chunks_copied: Int?
}

/// The h5py-written fixture set, generated once per test process into a temporary directory.
enum HDF5Fixtures {
    struct Set {
        var directory: URL
        var fixtures: [HDF5Fixture]
        func path(_ name: String) -> String { directory.appendingPathComponent(name + ".h5").path }
        func expected(_ name: String) throws -> Data {
            try Data(contentsOf: directory.appendingPathComponent(name + ".expected.bin"))
        }
    }

    static let shared: Result<Set, Error>? = {
        guard Requirements.pythonHas(["h5py", "hdf5plugin", "numpy"]) else { return nil }
        do {
            let directory = try TemporaryDirectories.processLifetime("hdf5-fixtures")
            let result = try Python.run(["Tests/StrataHDF5Tests/hdf5_fixtures.py", directory.path])
            guard result.status == 0 else {
                throw FixtureError(message: "Tests/StrataHDF5Tests/hdf5_fixtures.py failed: \(result.output)")
            }
            let json = try Data(contentsOf: directory.appendingPathComponent("fixtures.json"))
            return .success(Set(directory: directory, fixtures: try JSONDecoder().decode([HDF5Fixture].self, from: json)))
        } catch {
            return .failure(error)
        }
    }()

    /// The fixture set, or nil when python3 with h5py is unavailable (tests carry `.needsPython(…)`).
    static func load() throws -> Set? {
        guard let shared else { return nil }
        return try shared.get()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
