import Foundation

/// Decodes `alerting:`.
enum AlertingSection {
    static let keys = ["repeat_after", "channel_rate", "flapping", "incident_window", "incident_update", "deploy_window"]

    static func decode(_ value: ConfigValue?) -> AlertingConfig {
        var alerting = AlertingConfig()
        guard let map = value?.mapping(allowed: keys) else { return alerting }
        if let repeatAfter = map["repeat_after"]?.positiveDuration() {
            alerting.repeatAfter = repeatAfter
        }
        alerting.channelRate = map["channel_rate"]?.rate()
        if let flapping = map["flapping"]?.mapping(allowed: ["max", "window"]) {
            if let max = flapping["max"]?.int() {
                if max < 1 {
                    flapping["max"]?.fail("must be at least 1 (regressions within the window before an issue is flapping)")
                } else {
                    alerting.flapping.max = max
                }
            }
            if let window = flapping["window"]?.positiveDuration() {
                alerting.flapping.window = window
            }
        }
        // 0s is allowed: every critical alert pages alone.
        if let window = map["incident_window"]?.duration() {
            alerting.incidentWindow = window
        }
        if let update = map["incident_update"]?.positiveDuration() {
            alerting.incidentUpdate = update
        }
        // 0s is allowed: it turns deploy context off.
        if let deployWindow = map["deploy_window"]?.duration() {
            alerting.deployWindow = deployWindow
        }
        return alerting
    }
}
