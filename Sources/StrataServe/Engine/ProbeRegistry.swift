import StrataModel
import StrataProbe

/// The probes a server was started with, by name (the guard is also listed, as `guard`).
///
/// A `ServingProbe` follows one example at a time, so a packed pass needs one instance per text: instances
/// are made on demand from the checkpoint and leased for one pass (`lease`, then `returnAll`). Only the
/// scheduler's thread uses them.
public final class ProbeRegistry {
    /// The name the guard probe is listed under.
    public static let guardName = "guard"

    private var instances: [String: [ServingProbe]] = [:]
    private var leased: [String: Int] = [:]
    /// Probe names, in the order they were given.
    public let names: [String]
    private let config: LlamaConfig

    /// `probes` pairs names with attached probes; a name may appear once.
    public init(probes: [(name: String, probe: ServingProbe)], config: LlamaConfig) throws {
        var names: [String] = []
        for (name, probe) in probes {
            guard instances[name] == nil else {
                throw ServeConfigurationError(what: "probe name '\(name)'", why: "it is given twice")
            }
            instances[name] = [probe]
            names.append(name)
        }
        self.names = names
        self.config = config
    }

    /// The guard, when the server has one.
    public var guardProbe: ServingProbe? { instances[Self.guardName]?.first }

    /// The first instance of `name` (for its checkpoint and layer map).
    public func probe(named name: String) -> ServingProbe? { instances[name]?.first }

    /// An instance of `name` nobody holds in the current pass.
    func lease(_ name: String) throws -> ServingProbe {
        guard var pool = instances[name], let first = pool.first else {
            throw ServeAPIError.invalid("probes", "unknown probe '\(name)'")
        }
        let index = leased[name, default: 0]
        if index == pool.count {
            pool.append(try ServingProbe(checkpoint: first.checkpoint, name: first.name, config: config))
            instances[name] = pool
        }
        leased[name] = index + 1
        return pool[index]
    }

    /// Ends the current pass: every instance is free again.
    func returnAll() { leased.removeAll(keepingCapacity: true) }
}

/// A server that cannot start as configured: `what` names the flag or value, `why` says what is wrong.
public struct ServeConfigurationError: Error, CustomStringConvertible {
    public var what: String
    public var why: String
    public init(what: String, why: String) {
        self.what = what
        self.why = why
    }
    public var description: String { "\(what): \(why)" }
}
