import Foundation
import Strata
import StrataTestSupport
import Testing

/// The values `strata synth` must have stored for record `index`, as the reader returns them.
func expectedSynthValues(_ synth: SyntheticStates, _ index: Int, dtype: StrataDType) -> (RecordInput, [Float]) {
    var values: [Float] = []
    let record = synth.record(index, values: &values)
    switch dtype {
    case .f32: return (record, values)
    case .bf16: return (record, values.map { StrataConvert.bf16ToF32(StrataConvert.f32ToBF16($0)) })
    case .f16: return (record, values.map { Float(Float16($0)) })
    case .q8: return (record, values) // the synthesized values before quantization (lossy: compare within the bound)
    }
}

@Suite struct FormatCommandTests {
    @Test func synthInspectVerifyRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/s.strata"
            let synth = try CLIRunner.run([
                "synth", "--out", path, "--records", "5", "--min-tokens", "3", "--max-tokens", "9", "--layer-count", "4",
                "--hidden", "32", "--dtype", "f16", "--seed", "42", "--labels", "3", "--id-prefix", "doc-",
                "--zstd-level", "1", "--block-size", "512"
            ])
            #expect(synth.status == 0, "\(synth.stderr)")
            let inspect = try CLIRunner.run(["inspect", path, "--json"])
            #expect(inspect.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            #expect(object["records"] as? Int == 5)
            #expect(object["layers"] as? Int == 4)
            #expect(object["hidden"] as? Int == 32)
            #expect(object["dtype"] as? String == "f16")
            // Independent check of the totals against the generator and the library reader.
            let generator = SyntheticStates(layers: 4, hidden: 32, seed: 42, minTokens: 3, maxTokens: 9, labelCount: 3, idPrefix: "doc-")
            let reader = try ShardReader(path: path)
            var tokens = 0, stored = 0
            for i in 0..<5 {
                let (record, values) = expectedSynthValues(generator, i, dtype: .f16)
                tokens += record.tokenIDs.count
                let info = try reader.info(i)
                stored += info.storedBytes
                #expect(info.id == "doc-\(i)")
                #expect(info.tokenIDs == record.tokenIDs)
                #expect(info.labels == record.labels && info.labels[0] < 3)
                #expect(try reader.readFloat(i) == values)
            }
            #expect(object["tokens"] as? Int == tokens)
            #expect(object["raw_bytes"] as? Int == tokens * 4 * 32 * 2)
            #expect(object["stored_bytes"] as? Int == stored)
            let verify = try CLIRunner.run(["verify", path])
            #expect(verify.status == 0)
            #expect(verify.stdout.contains("5 records"))
        }
    }

    @Test func badInputGivesCleanErrorsAndNonZeroExit() throws {
        try withTemporaryDirectory { dir in
            let missing = try CLIRunner.run(["inspect", dir + "/nope.strata"])
            #expect(missing.status != 0 && !missing.signaled)
            #expect(missing.stderr.contains("nope.strata"))
            let text = dir + "/text.strata"
            try Data("not a shard".utf8).write(to: URL(fileURLWithPath: text))
            let verify = try CLIRunner.run(["verify", text])
            #expect(verify.status != 0 && !verify.signaled)
            #expect(verify.stderr.contains("not a Strata shard") || verify.stderr.contains("shorter than"))
            let badDType = try CLIRunner.run(["synth", "--out", dir + "/x.strata", "--records", "1", "--dtype", "int8"])
            #expect(badDType.status != 0 && badDType.stderr.contains("--dtype"))
        }
    }

    @Test func unsealedShardPointsToRecoverAndRecoverSealsIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/u.strata"
            #expect(
                try CLIRunner.run([
                    "synth", "--out", path, "--records", "4", "--layer-count", "2", "--hidden", "16", "--min-tokens", "4",
                    "--max-tokens", "4", "--dtype", "bf16", "--seed", "1"
                ]).status == 0)
            let full = try Data(contentsOf: URL(fileURLWithPath: path))
            try full.prefix(full.count - 200).write(to: URL(fileURLWithPath: path)) // cut off index + trailer + part of the last record
            let inspect = try CLIRunner.run(["inspect", path])
            #expect(inspect.status != 0)
            #expect(inspect.stderr.contains("unsealed") && inspect.stderr.contains("strata recover"))
            let dry = try CLIRunner.run(["recover", path, "--dry-run"])
            #expect(dry.status == 0 && dry.stdout.contains("would recover 3 records"))
            let recover = try CLIRunner.run(["recover", path])
            #expect(recover.status == 0 && recover.stdout.contains("recovered 3 records"))
            #expect(try CLIRunner.run(["verify", path]).status == 0)
            #expect(try CLIRunner.run(["recover", path]).stdout.contains("already sealed"))
        }
    }

    @Test func killedWriterLosesAtMostTheRecordBeingWritten() throws {
        try withTemporaryDirectory { dir in
            let layers = 6, hidden = 64, maxTokens = 48
            let generator = SyntheticStates(layers: layers, hidden: hidden, seed: 9, minTokens: 8, maxTokens: maxTokens, idPrefix: "k")
            var droppedTotal = 0
            // zstd level 19 makes compressing a record's 18 blocks take longer than generating it, so most
            // kills land in the middle of a record.
            // Kill after the file has grown past several different sizes.
            for (n, threshold) in [20_000, 90_000, 250_000, 600_000].enumerated() {
                let out = dir + "/k\(n).strata"
                let p = try CLIRunner.start([
                    "synth", "--out", out, "--records", "100000", "--layer-count", "\(layers)", "--hidden", "\(hidden)",
                    "--min-tokens", "8", "--max-tokens", "\(maxTokens)", "--dtype", "bf16", "--seed", "9",
                    "--id-prefix", "k", "--zstd-level", "19", "--block-size", "2048"
                ])
                // synth writes OUT.partial-PID and renames it over OUT when done: the killed writer's file is the partial one.
                let path = FileReplacement.partialPath(of: out, pid: p.processIdentifier)
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline {
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                    if size >= threshold || !p.isRunning { break }
                    usleep(500)
                }
                #expect(p.isRunning, "synth finished before it could be killed")
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                #expect(p.terminationReason == .uncaughtSignal)
                let killedSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
                #expect(!FileManager.default.fileExists(atPath: out), "a killed synth must not leave a file under the output name")

                #expect(throws: StrataError.self) { try ShardReader(path: path) }
                let report = try ShardRecovery.recover(path: path)
                #expect(report.recordsKept > 0)
                // At most one record (plus the bytes of its headers) was lost.
                let maxRecordBytes = layers * maxTokens * hidden * 2 * 2 + 64 * 1024
                #expect(report.bytesDropped < maxRecordBytes, "dropped \(report.bytesDropped) of \(killedSize) bytes")
                droppedTotal += report.bytesDropped
                let reader = try ShardReader(path: path)
                #expect(reader.count == report.recordsKept)
                for i in 0..<reader.count {
                    let (record, values) = expectedSynthValues(generator, i, dtype: .bf16)
                    let info = try reader.info(i)
                    #expect(info.id == record.id && info.tokenIDs == record.tokenIDs && info.text == record.text)
                    #expect(try reader.readFloat(i) == values, "record \(i) differs after recovery")
                }
                let verify = try CLIRunner.run(["verify", path])
                #expect(verify.status == 0, "\(verify.stderr)")
            }
            // The kills landed inside records (partial blocks were cut away), not only between them.
            #expect(droppedTotal > 0)
        }
    }
}
