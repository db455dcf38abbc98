import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataHDF5

/// HDF5's flock is off for every file Strata opens or creates. A forked child shares its parent's
/// open file descriptions (and their flocks) until it execs, so on a loaded machine a lock can
/// outlive `H5Fclose`; with HDF5's locking on, the next open of that path failed with "Unable to
/// lock file" (the flaky round-trip test). Here a foreign exclusive flock stands in for that child.
@Suite struct FileLockingTests {
    @Test func openAndCreateIgnoreAForeignLock() throws {
        try withTemporaryDirectoryURL("locking") { directory in
            let sample = try StrataSample.write(dtype: .f16, in: directory)
            let h5 = directory.appendingPathComponent("locked.h5").path
            try HDF5Exporter.export(datasetAt: sample.path, to: h5, options: HDF5ExportOptions(layout: .groups))
            let descriptor = open(h5, O_RDWR)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            try #require(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
            // Reading (import) while another description holds the lock.
            let back = directory.appendingPathComponent("back.strata").path
            let report = try HDF5Importer.importFile(at: h5, to: back)
            #expect(report.records == sample.records.count)
            // Creating (truncating) the locked path.
            let created = try HDF5File(creatingAt: h5)
            try created.flush()
        }
    }
}
