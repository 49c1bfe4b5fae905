import Foundation

/// Decodes `alerting:`.
enum AlertingSection {
    static let keys = ["repeat_after", "channel_rate"]

    static func decode(_ value: ConfigValue?) -> AlertingConfig {
        var alerting = AlertingConfig()
        guard let map = value?.mapping(allowed: keys) else { return alerting }
        if let repeatAfter = map["repeat_after"]?.positiveDuration() {
            alerting.repeatAfter = repeatAfter
        }
        alerting.channelRate = map["channel_rate"]?.rate()
        return alerting
    }
}
