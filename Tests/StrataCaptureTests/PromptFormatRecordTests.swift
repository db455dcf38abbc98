import Strata
import StrataCapture
import StrataModel
import StrataProbe
import Testing

/// Where a prompt format is recorded (dataset metadata, probe provenance), read back exactly; captures
/// written before `capture.prompt_format` existed keep the meaning they were written with.
@Suite struct PromptFormatRecordTests {
    static let formats: [PromptFormat] = [.raw, .chat(template: "chatml", system: nil), .chat(template: "chatml", system: "Be brief.")]

    @Test func metadataRecordStatesTheFormatAndReadsBack() {
        for format in Self.formats {
            let extra = format.metadataExtra
            #expect(extra["capture.prompt_format"] == (format.templateName ?? "raw"))
            #expect(PromptFormat(metadataExtra: extra) == format)
        }
    }

    @Test func capturesWithoutTheStatedFormatAreReadByTheirOldRule() {
        #expect(PromptFormat(metadataExtra: ["capture.input": "a.jsonl"]) == .raw)
        #expect(
            PromptFormat(metadataExtra: ["capture.input": "a.jsonl", "capture.chat_template": "chatml", "capture.chat_system": "Hi"])
                == .chat(template: "chatml", system: "Hi"))
        #expect(PromptFormat(metadataExtra: [:]) == nil, "a dataset no capture made has no known format")
        #expect(PromptFormat(metadataExtra: ["source": "hdf5"]) == nil)
    }

    @Test func provenanceRoundTripsEveryFormatAndUnknown() {
        var provenance = TrainingProvenance(
            dataset: "d", validation: nil, model: nil, modelSHA256: nil, layerIndices: [0], trainRecords: 1,
            validationRecords: 0, options: TrainingOptions(), epochsRun: 1, bestEpoch: 1, steps: 1,
            validationMetrics: nil, created: "", toolVersion: "")
        #expect(provenance.promptFormat == nil)
        for format in Self.formats {
            provenance.promptFormat = format
            #expect(provenance.promptFormat == format)
        }
        provenance.promptFormat = .raw
        #expect(provenance.chatTemplate == "none", "the checkpoint field keeps its documented spelling")
    }

    @Test func chatTemplateNamesItsFormatWithItsDefaultSystemMessage() {
        let template = ChatTemplate(defaultSystem: "You are helpful.")
        #expect(template.promptFormat() == .chat(template: "chatml", system: "You are helpful."))
        #expect(template.promptFormat(system: "") == .chat(template: "chatml", system: ""))
        #expect(ChatTemplate().promptFormat() == .chat(template: "chatml", system: nil))
    }
}
