import FirebellCore
import Foundation
import Logging

extension OutboxWorker {
    /// Each channel's circuit breaker and parking (see `ChannelGate`). Fixed defaults,
    /// documented in docs/configuration.md — not config keys.
    public struct BreakerSettings: Sendable, Equatable {
        /// Consecutive failing attempts (timeouts, refused connections, 5xx, 408) that open the breaker.
        public var failuresToOpen: Int
        /// How long the breaker first stays open before a half-open probe; doubles after
        /// each failed probe, up to `maxOpenInterval`. A longer `Retry-After` wins.
        public var openInterval: TimeInterval
        public var maxOpenInterval: TimeInterval
        /// Consecutive 401/403/404 answers that park the channel (410 parks at once).
        public var refusalsToPark: Int
        /// How often a parked channel is probed.
        public var parkedProbeInterval: TimeInterval

        public init(
            failuresToOpen: Int = 5, openInterval: TimeInterval = 30, maxOpenInterval: TimeInterval = 300,
            refusalsToPark: Int = 3, parkedProbeInterval: TimeInterval = 300
        ) {
            self.failuresToOpen = failuresToOpen
            self.openInterval = openInterval
            self.maxOpenInterval = maxOpenInterval
            self.refusalsToPark = refusalsToPark
            self.parkedProbeInterval = parkedProbeInterval
        }

        /// The environment variable Firebell's own integration tests set to shorten these
        /// (a dead receiver's test takes seconds, not minutes), e.g.
        /// `open=1s,max_open=2s,parked_probe=2s,failures=5,refusals=3`. Not a setting for
        /// operators: the daemon warns at start when it is in force.
        public static let testVariable = "FIREBELL_TEST_BREAKER"

        /// The defaults, or what `FIREBELL_TEST_BREAKER` says (with a warning either way
        /// when it is set).
        static func inForce(
            environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
        ) -> BreakerSettings {
            guard let text = environment[testVariable], !text.isEmpty else { return BreakerSettings() }
            guard let settings = BreakerSettings(testOverrides: text) else {
                logger.warning(
                    "\(testVariable) ignored: expected comma-separated failures=N, refusals=N, open=DURATION, max_open=DURATION, parked_probe=DURATION",
                    metadata: ["value": "\(text)"])
                return BreakerSettings()
            }
            logger.warning(
                "\(testVariable) in force: circuit breaker and parking timings are shortened for tests",
                metadata: ["value": "\(text)"])
            return settings
        }

        /// The defaults with `key=value` pairs applied; nil if any pair is not understood.
        init?(testOverrides text: String) {
            self.init()
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { return nil }
                let (key, value) = (parts[0], parts[1])
                switch key {
                case "failures", "refusals":
                    guard let count = Int(value), count > 0 else { return nil }
                    if key == "failures" { failuresToOpen = count } else { refusalsToPark = count }
                case "open", "max_open", "parked_probe":
                    guard let seconds = Units.duration(value), seconds > 0 else { return nil }
                    switch key {
                    case "open": openInterval = seconds
                    case "max_open": maxOpenInterval = seconds
                    default: parkedProbeInterval = seconds
                    }
                default:
                    return nil
                }
            }
            maxOpenInterval = max(maxOpenInterval, openInterval)
        }
    }
}
