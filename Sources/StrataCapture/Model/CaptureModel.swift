import Foundation
import Strata
import StrataModel

/// A GGUF model opened for capture: the forward pass, the tokenizer from the same file, and the
/// identities recorded in the dataset metadata.
public final class CaptureModel {
    public let path: String
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    /// The chat template from the same file (`--chat-template`).
    public let chat: ChatTemplate
    /// `<arch>.context_length`, when the file declares it.
    public let contextLength: Int?
    public let identity: ModelIdentity
    public let tokenizerIdentity: TokenizerIdentity

    /// Loads the model and tokenizer; `hashFile` computes (or reads the cached) SHA-256 of the file.
    public init(path: String, threads: Int? = nil, hashFile: Bool = true) throws {
        let file = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: file)
        let vocabulary = try TokenizerVocabulary(gguf: file)
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw CaptureError.model(
                path: path,
                why: "the tokenizer has \(tokenizer.vocabularySize) tokens but the model's vocabulary is \(config.vocabularySize)")
        }
        self.path = path
        self.model = try LlamaModel(gguf: file, threads: threads)
        self.tokenizer = tokenizer
        self.chat = ChatTemplate(gguf: file)
        self.contextLength = file.metadata["\(config.architecture).context_length"]?.int
        let fileName = (path as NSString).lastPathComponent
        let name = file.metadata["general.name"]?.string ?? (fileName as NSString).deletingPathExtension
        identity = ModelIdentity(
            name: name, architecture: config.architecture,
            fileSHA256: hashFile ? try ModelFileHash.sha256(of: path) : nil,
            nBlocks: config.blockCount, hiddenSize: config.hiddenSize, file: fileName)
        let digest = tokenizer.identity.hasPrefix("sha256:") ? String(tokenizer.identity.dropFirst(7)) : tokenizer.identity
        tokenizerIdentity = TokenizerIdentity(
            kind: vocabulary.model, pre: vocabulary.pre,
            vocabSize: tokenizer.vocabularySize, sha256: digest)
    }

    public var config: LlamaConfig { model.config }
}
