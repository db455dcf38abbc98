import Foundation
import Hummingbird
import NIOCore

/// Reads a request's JSON body within the size limit and turns every way it can be wrong into a
/// `ServeAPIError` that names the field: too large (413), empty, not UTF-8, not JSON, a missing field, a
/// value of the wrong type (400).
enum JSONBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, limit: Int) async throws -> Body {
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ServeAPIError.bodyTooLarge(limit: limit)
        }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return try decode(type, from: bytes)
    }

    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) throws -> Body {
        guard !bytes.isEmpty else { throw ServeAPIError.badBody("the request body is empty: send a JSON object") }
        guard String(bytes: bytes, encoding: .utf8) != nil else {
            throw ServeAPIError.badBody("the request body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw apiError(error)
        }
    }

    /// A JSON path such as `messages[0].content`.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }

    static func apiError(_ error: DecodingError) -> ServeAPIError {
        switch error {
        case .keyNotFound(let key, let context):
            let param = path(context.codingPath + [key])
            return .badBody("\(param): this field is required", param: param)
        case .typeMismatch(let type, let context):
            let param = path(context.codingPath)
            return .badBody("\(param.isEmpty ? "the body" : param): expected \(typeName(type))", param: param.isEmpty ? nil : param)
        case .valueNotFound(let type, let context):
            let param = path(context.codingPath)
            return .badBody("\(param): expected \(typeName(type)), got null", param: param)
        case .dataCorrupted(let context):
            let param = path(context.codingPath)
            if param.isEmpty { return .badBody("the request body is not valid JSON: \(context.debugDescription)") }
            return .badBody("\(param): \(context.debugDescription)", param: param)
        @unknown default:
            return .badBody("the request body could not be read: \(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object (\(name))"
        }
    }
}

/// JSON and error responses.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func encodeLine(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func error(_ error: ServeAPIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retry = error.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        let body = (try? encodeLine(ErrorEnvelope(error))) ?? #"{"error":{"message":"error","type":"server_error"}}"#
        return Response(
            status: .init(code: error.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
