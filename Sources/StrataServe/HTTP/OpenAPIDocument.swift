import Foundation

/// The OpenAPI 3.0 description the server serves at `GET /openapi.json`: every JSON endpoint, its request
/// schema (the fields the server reads) and its answers (OpenAI's error object for every 4xx).
enum OpenAPIDocument {
    static func json(limits: ServeLimits, probes: [String]) -> [UInt8] {
        let document: [String: Any] = [
            "openapi": "3.0.3",
            "info": [
                "title": "strata serve", "version": "1",
                "description": "OpenAI-compatible endpoints plus single-pass probes and hidden states."
            ],
            "paths": [
                "/v1/chat/completions": post("Chat completion (stream: true for server-sent events)", chatRequest),
                "/v1/completions": post("Text completion of a raw prompt", completionRequest),
                "/v1/classify": post("Probe verdicts on texts, one forward pass per text", classifyRequest(probes)),
                "/v1/hidden-states": post("Hidden states of one text", hiddenStatesRequest),
                "/v1/models": get("The served model"),
                "/health": get("Liveness and queue depth")
            ],
            "components": ["schemas": ["Error": errorSchema, "Message": messageSchema]]
        ]
        return Array((try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data())
    }

    private static let errorSchema: [String: Any] = [
        "type": "object", "required": ["error"],
        "properties": [
            "error": [
                "type": "object", "required": ["message", "type"],
                "properties": [
                    "message": ["type": "string"], "type": ["type": "string"],
                    "param": ["type": "string", "nullable": true],
                    "code": ["type": "string", "nullable": true]
                ]
            ]
        ]
    ]

    private static let messageSchema: [String: Any] = [
        "type": "object", "required": ["role", "content"],
        "properties": [
            "role": ["type": "string", "enum": ["system", "developer", "user", "assistant"]],
            "content": ["type": "string"]
        ]
    ]

    private static let generationFields: [String: Any] = [
        "model": ["type": "string"],
        "max_tokens": ["type": "integer", "minimum": 1],
        "temperature": ["type": "number", "minimum": 0, "maximum": 2],
        "top_k": ["type": "integer", "minimum": 0],
        "seed": ["type": "integer", "minimum": 0],
        "n": ["type": "integer", "enum": [1]],
        "stream": ["type": "boolean"],
        "stream_options": ["type": "object", "properties": ["include_usage": ["type": "boolean"]]]
    ]

    private static var chatRequest: [String: Any] {
        var properties = generationFields
        properties["messages"] = ["type": "array", "minItems": 1, "items": ["$ref": "#/components/schemas/Message"]]
        properties["max_completion_tokens"] = ["type": "integer", "minimum": 1]
        return ["type": "object", "required": ["messages"], "properties": properties]
    }

    private static var completionRequest: [String: Any] {
        var properties = generationFields
        properties["prompt"] = ["type": "string", "minLength": 1]
        return ["type": "object", "required": ["prompt"], "properties": properties]
    }

    private static func classifyRequest(_ probes: [String]) -> [String: Any] {
        [
            "type": "object", "required": ["texts"],
            "properties": [
                "texts": ["type": "array", "minItems": 1, "items": ["type": "string", "minLength": 1]],
                "probes": ["type": "array", "items": ["type": "string", "enum": probes.isEmpty ? ["guard"] : probes]],
                "chat_template": ["type": "boolean"], "system": ["type": "string"],
                "threshold": ["type": "number", "minimum": 0, "maximum": 1]
            ]
        ]
    }

    private static let hiddenStatesRequest: [String: Any] = [
        "type": "object",
        "properties": [
            "text": ["type": "string", "minLength": 1],
            "messages": ["type": "array", "minItems": 1, "items": ["$ref": "#/components/schemas/Message"]],
            "layers": ["type": "array", "items": ["type": "integer", "minimum": 0]],
            "pooling": ["type": "string", "enum": HiddenStatePooling.allCases.map(\.rawValue)],
            "dtype": ["type": "string", "enum": HiddenStateEncoding.allCases.map(\.rawValue)]
        ]
    ]

    private static func post(_ summary: String, _ schema: [String: Any]) -> [String: Any] {
        let error: [String: Any] = [
            "description": "OpenAI-style error",
            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]
        ]
        return [
            "post": [
                "summary": summary,
                "requestBody": ["required": true, "content": ["application/json": ["schema": schema]]],
                "responses": [
                    "200": ["description": "The answer", "content": ["application/json": ["schema": ["type": "object"]]]],
                    "400": error, "401": error, "404": error, "413": error, "429": error, "503": error, "504": error
                ]
            ]
        ]
    }

    private static func get(_ summary: String) -> [String: Any] {
        [
            "get": [
                "summary": summary,
                "responses": [
                    "200": [
                        "description": "The answer",
                        "content": ["application/json": ["schema": ["type": "object"]]]
                    ]
                ]
            ]
        ]
    }
}
