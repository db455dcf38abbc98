import Strata
import StrataProbe
import StrataUtilities
import Testing

/// Probe construction and training name a refused setting in the library's words, never as a command-line
/// flag (the CLI maps them to flags: `SettingFlags`).
@Suite struct ProbeSettingNamesTests {
    private func refusal(_ body: () throws -> Void) -> InvalidSetting? {
        do {
            try body()
        } catch let error as ProbeError {
            return error.invalidSetting
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func memoryBudgetIsNamedInWords() throws {
        let refused = try #require(refusal { _ = try MemoryBudget(parsing: "1MB") })
        #expect(refused.setting == ProbeSetting.memoryBudget.name && refused.value == "1MB")
        #expect(refused.description.hasPrefix("invalid value '1MB' for memory budget: expected a size of at least 1MiB"))
        #expect(!refused.description.contains("--"))
    }

    @Test func headsAndLayersAreNamedInWords() throws {
        let configuration = ProbeConfiguration(kind: .mha, hidden: 8, layers: [0], classes: 2, heads: 0)
        let heads = try #require(refusal { try configuration.validate() })
        #expect(heads.description == "invalid value '0' for attention heads: must be at least 1")

        let metadata = StrataMetadata(hidden: 8, layers: LayerInfo.huggingFaceHiddenStates(blocks: 4), dtype: .f16)
        let oneLayer = try #require(refusal { _ = try ProbeSetup.layerPositions("0,4", kind: .lastToken, metadata: metadata) })
        #expect(oneLayer.description == "invalid value '0,4' for layers: the last-token probe reads exactly one layer")
        let notCaptured = try #require(refusal { _ = try ProbeSetup.layerPositions("7", kind: .gate, metadata: metadata) })
        #expect(notCaptured.setting == ProbeSetting.layers.name && notCaptured.value == "7")
        for refused in [heads, oneLayer, notCaptured] { #expect(!refused.description.contains("--"), "\(refused)") }
    }
}
