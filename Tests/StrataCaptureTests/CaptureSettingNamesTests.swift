import StrataUtilities
import Testing

@testable import StrataCapture

/// Capture's refused settings are named in the library's words, never as command-line flags (the CLI maps
/// them to flags: `SettingFlags`).
@Suite struct CaptureSettingNamesTests {
    private func refusal(_ body: () throws -> Void) -> InvalidSetting? {
        do {
            try body()
        } catch let error as CaptureError {
            return error.invalidSetting
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func optionsNameTheSettingInWords() throws {
        var options = CaptureOptions(modelPath: "m.gguf", inputPath: "in.jsonl", outputDirectory: "/nonexistent/out")
        options.maxTokens = 0
        let maxTokens = try #require(refusal { try options.validate() })
        #expect(maxTokens.setting == CaptureSetting.maxTokens.name)
        #expect(maxTokens.description == "invalid value '0' for max tokens: must be at least 1")

        options.maxTokens = nil
        options.truncate = true
        let truncate = try #require(refusal { try options.validate() })
        #expect(truncate.description == "truncation: needs max tokens (the number of tokens to keep)")
        // The CLI renders the same refusal with flags for both settings it names.
        let flags = [CaptureSetting.truncate.name: "--truncate", CaptureSetting.maxTokens.name: "--max-tokens"]
        #expect(truncate.rendered { flags[$0]! } == "--truncate: needs --max-tokens (the number of tokens to keep)")
    }

    @Test func shardAndLayersNameTheSettingInWords() throws {
        let shard = try #require(refusal { _ = try CaptureShard(parsing: "4/4") })
        #expect(shard.setting == CaptureSetting.shard.name && shard.value == "4/4")
        let layers = try #require(refusal { _ = try LayerSelection(parsing: "0,x") })
        #expect(layers.setting == CaptureSetting.layers.name)
        let missing = try #require(refusal { _ = try LayerSelection.indices([9]).resolve(blocks: 3) })
        #expect(missing.description.hasPrefix("invalid value '9' for layers: layer 9 does not exist"))
        for refused in [shard, layers, missing] { #expect(!refused.description.contains("--"), "\(refused)") }
    }
}
