import StrataModel
import StrataUtilities
import Testing

/// Sampling names a refused setting in the library's words, never as a command-line flag (the CLI maps them
/// to flags: `SettingFlags`).
@Test func samplerNamesTheRefusedSettingInWords() throws {
    for (options, expected) in [
        (SamplingOptions(temperature: -1), "invalid value '-1.0' for temperature: must be a finite number >= 0"),
        (SamplingOptions(topK: -2), "invalid value '-2' for top-k: must be >= 0")
    ] {
        do {
            _ = try TokenSampler(options: options)
            Issue.record("\(options) was accepted")
        } catch let error as LlamaError {
            #expect(error.invalidSetting?.description == expected)
            #expect(error.description == expected && !error.description.contains("--"))
        }
    }
}
