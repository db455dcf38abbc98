import Dispatch
import Foundation
import StrataModel

/// One input row that will become a record.
public struct PlannedRecord: Sendable {
    /// 1-based data row in the input file.
    public var row: Int
    public var id: String
    public var label: Int?
    public var text: String
    /// Token ids as stored in the record (after `--truncate`).
    public var tokens: [Int32]
    /// The text's full token count when `--truncate` shortened it.
    public var truncatedFrom: Int?
}

/// One input row that will not become a record, and why.
public struct SkippedRow: Sendable, Equatable, Codable {
    public var row: Int
    public var reason: SkipReason
    public var detail: String
    /// The start of the row (`RowExcerpt`): the raw line for rows the reader refused, the text otherwise.
    public var excerpt: String
}

/// The rows of this shard, read and tokenised up front: the records to capture in input order and
/// the rows left out. Doing this before the model runs makes `--on-bad-row fail` stop before any
/// compute, gives the progress line an exact token total, and fixes batch boundaries independently
/// of what a resumed run has already captured.
public struct CapturePlan: Sendable {
    /// Data rows in the input file (all shards).
    public var rowsInFile: Int
    /// Data rows that belong to this shard.
    public var rowsInShard: Int
    public var records: [PlannedRecord]
    public var skipped: [SkippedRow]

    public var totalTokens: Int { records.reduce(0) { $0 + $1.tokens.count } }

    /// Reads `reader`'s file and plans the rows of `shard`.
    /// - Parameters:
    ///   - chat: when given, each text is tokenised as `chat.template.prompt(user: text, system: chat.system)`
    ///     (the record keeps the text as read; the token ids are the templated prompt's).
    ///   - maxTokens: longest allowed text; longer ones are skipped (`too_long`) or, with `truncate`, cut.
    ///     Without `truncate`, a text too long to fit in any tokenisation is skipped without being tokenised.
    ///   - policy: `.fail` throws `CaptureError.badRow` for the first row that cannot be captured (reading
    ///     stops at the first row the reader refuses).
    ///   - allowEmpty: accept a shard with no rows (otherwise `CaptureError.emptyInput`). A shard whose rows
    ///     are all bad is always refused (`CaptureError.nothingToCapture`).
    public init(
        reader: TextRecordReader, tokenizer: Tokenizer, shard: CaptureShard, maxTokens: Int,
        truncate: Bool, labelCount: Int?, policy: BadRowPolicy, allowEmpty: Bool = false,
        chat: (template: ChatTemplate, system: String?)? = nil
    ) throws {
        var rowsInFile = 0
        var candidates: [TextRecord] = []
        var skipped: [SkippedRow] = []
        var inShard = 0
        try reader.forEachRow { result in
            rowsInFile += 1
            switch result {
            case .success(let record):
                guard shard.contains(row: record.row) else { return true }
                inShard += 1
                if let label = record.label, let labelCount, label < 0 || label >= labelCount {
                    skipped.append(
                        SkippedRow(
                            row: record.row, reason: .badLabel,
                            detail: "label \(label) is outside the \(labelCount) named classes (--label-names)",
                            excerpt: RowExcerpt.of(text: record.text)))
                    return policy != .fail
                }
                candidates.append(record)
            case .failure(let failure):
                guard shard.contains(row: failure.row) else { return true }
                inShard += 1
                skipped.append(
                    SkippedRow(
                        row: failure.row, reason: Self.reason(failure.problem), detail: failure.problem.description,
                        excerpt: failure.excerpt))
                return policy != .fail
            }
            return true
        }
        self.rowsInFile = rowsInFile
        rowsInShard = inShard

        let prompts = chat.map { chat in candidates.map { chat.template.prompt(user: $0.text, system: chat.system) } }
        let texts = prompts ?? candidates.map(\.text)
        // Texts that cannot fit in maxTokens tokens are not tokenised (a long one costs time and memory).
        let cannotFit = texts.map { !truncate && tokenizer.minimumTokenCount(utf8Count: $0.utf8.count) > maxTokens }
        let tokenized = Self.tokenize(texts, tokenizer, skipping: cannotFit)
        var records: [PlannedRecord] = []
        records.reserveCapacity(candidates.count)
        var seenIDs: [String: Int] = [:]
        for (k, (record, fullTokens)) in zip(candidates, tokenized).enumerated() {
            func skip(_ reason: SkipReason, _ detail: String) {
                skipped.append(SkippedRow(row: record.row, reason: reason, detail: detail, excerpt: RowExcerpt.of(text: record.text)))
            }
            if cannotFit[k] {
                let bytes = texts[k].utf8.count
                skip(
                    .tooLong,
                    "\(bytes) bytes, at least \(tokenizer.minimumTokenCount(utf8Count: bytes)) tokens (a token is at most \(tokenizer.longestTokenBytes ?? 0) bytes), over the limit of \(maxTokens) tokens (--max-tokens; pass --truncate to keep the first \(maxTokens))"
                )
                continue
            }
            if fullTokens.isEmpty {
                skip(.emptyText, "the text encodes to no tokens")
                continue
            }
            var tokens = fullTokens
            var truncatedFrom: Int?
            if tokens.count > maxTokens {
                guard truncate else {
                    skip(
                        .tooLong,
                        "\(tokens.count) tokens, over the limit of \(maxTokens) tokens (--max-tokens; pass --truncate to keep the first \(maxTokens))"
                    )
                    continue
                }
                truncatedFrom = tokens.count
                tokens = Array(tokens.prefix(maxTokens))
            }
            if let first = seenIDs[record.id] {
                skip(.duplicateID, "id \"\(record.id)\" was already used by row \(first)")
                continue
            }
            seenIDs[record.id] = record.row
            records.append(
                PlannedRecord(
                    row: record.row, id: record.id, label: record.label, text: record.text,
                    tokens: tokens, truncatedFrom: truncatedFrom))
        }
        skipped.sort { $0.row < $1.row }
        if policy == .fail, let first = skipped.first {
            throw CaptureError.badRow(path: reader.path, row: first.row, reason: first.reason, detail: first.detail)
        }
        if records.isEmpty {
            if let first = skipped.first {
                var counts: [SkipReason: Int] = [:]
                for row in skipped { counts[row.reason, default: 0] += 1 }
                // Most frequent first; ties go to the reason of the earliest row.
                let (reason, count) = counts.max { a, b in
                    a.value != b.value
                        ? a.value < b.value
                        : skipped.firstIndex { $0.reason == a.key }! > skipped.firstIndex { $0.reason == b.key }!
                }!
                throw CaptureError.nothingToCapture(
                    path: reader.path, shard: shard == .whole ? nil : shard.description, rows: inShard,
                    reason: reason, count: count, firstBad: first)
            }
            if !allowEmpty {
                throw CaptureError.emptyInput(path: reader.path, shard: shard == .whole ? nil : shard.description, rowsInFile: rowsInFile)
            }
        }
        self.records = records
        self.skipped = skipped
    }

    static func reason(_ problem: TextRowProblem) -> SkipReason {
        switch problem {
        case .malformed, .missingField: return .malformed
        case .emptyText: return .emptyText
        case .invalidUTF8: return .invalidUTF8
        case .badLabel: return .badLabel
        case .tooManyBytes: return .tooLong
        }
    }

    /// Tokenises on every core (the tokenizer is thread-safe); results in input order, empty for the texts
    /// `skipping` marks.
    static func tokenize(_ texts: [String], _ tokenizer: Tokenizer, skipping: [Bool]) -> [[Int32]] {
        var out = [[Int32]](repeating: [], count: texts.count)
        let chunk = 64
        let chunks = (texts.count + chunk - 1) / chunk
        out.withUnsafeMutableBufferPointer { results in
            let base = results.baseAddress!
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                    if !skipping[i] { (base + i).pointee = tokenizer.encode(texts[i]) }
                }
            }
        }
        return out
    }

    /// Consecutive runs of records whose token counts add up to at most `batchTokens` (a longer record
    /// is a batch of its own), in input order. Depends only on the plan, not on what is already
    /// captured, so a resumed run recomputes exactly the batches of an uninterrupted one.
    public func batches(batchTokens: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0, tokens = 0
        for (i, record) in records.enumerated() {
            let n = record.tokens.count
            if i > start && tokens + n > batchTokens {
                out.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += n
        }
        if start < records.count { out.append(start..<records.count) }
        return out
    }
}
