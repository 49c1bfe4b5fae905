import NIOCore
import PostgresNIO

/// Which failures mean "the database cannot be reached now" — it is down, restarting,
/// refusing connections, or the connection broke — as opposed to a statement the
/// server refused. Those become one ``StoreUnavailable`` (`.unreachable`) whose text is
/// the same whatever the driver said this time ("connection refused", "server closed
/// the connection", "no connection within 5 s"): the daemon answers 503 with
/// `Retry-After`, `/readyz` says so, and it logs one line when the state changes, not
/// one per request that failed a slightly different way. The driver's own words stay
/// in ``StoreUnavailable/cause`` for that one line.
enum PostgresUnreachable {
    /// `error` as `.unreachable`, or nil when it is not about reaching the database.
    static func unavailable(_ error: any Error, at location: PostgresLocation) -> StoreUnavailable? {
        if let unavailable = error as? StoreUnavailable { return unavailable }
        guard isUnreachable(error) else { return nil }
        return StoreUnavailable(
            .unreachable, "PostgreSQL at \(location.host):\(location.port)/\(location.database) is unreachable",
            cause: String(reflecting: error))
    }

    static func isUnreachable(_ error: any Error) -> Bool {
        switch error {
        case is ConnectionDeadlineExpired:
            return true
        case let error as PSQLError:
            switch error.code {
            case .clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                guard let state = error.serverInfo?[.sqlState] else { return false }
                // Class 08: connection exception. 57P01-57P03: the server is shutting
                // down, crashed, or cannot accept connections yet. 53300: no connection slot.
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
            default:
                return false
            }
        case is ChannelError, is IOError:
            return true
        default:
            return false
        }
    }
}
