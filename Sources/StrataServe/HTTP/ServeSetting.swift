import StrataUtilities

/// The settings of a server (`StrataServer.Listener`), named in words for `InvalidSetting` (the CLI maps each
/// to its flags).
public enum ServeSetting: String, LibrarySetting {
    case listenAddress = "listen address (host and port)"
}
