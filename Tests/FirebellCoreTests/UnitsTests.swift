import Foundation
import Testing
@testable import FirebellCore

@Suite("Units")
struct UnitsTests {
    @Test(arguments: [
        ("250ms", 0.25), ("90s", 90), ("5m", 300), ("1h", 3600), ("14d", 1_209_600), ("0s", 0),
    ] as [(String, TimeInterval)])
    func durationsParse(text: String, seconds: TimeInterval) {
        #expect(Units.duration(text) == seconds)
    }

    @Test(arguments: ["", "5", "5x", "m", "5 m", "5M", "-5m", "+5m", "1.5h", "5mm", "5min", "1w", " 5m"])
    func durationsReject(text: String) {
        #expect(Units.duration(text) == nil)
    }

    @Test(arguments: [
        ("600/min", Rate(count: 600, period: 60)), ("20/min", Rate(count: 20, period: 60)),
        ("5/s", Rate(count: 5, period: 1)), ("100/h", Rate(count: 100, period: 3600)),
    ])
    func ratesParse(text: String, rate: Rate) {
        #expect(Units.rate(text) == rate)
        #expect(rate.description == text)
    }

    @Test(arguments: ["", "20", "20/week", "20/m", "0/min", "-1/s", "/s", "20/", "20/min/s", "x/min", "20 /min"])
    func ratesReject(text: String) {
        #expect(Units.rate(text) == nil)
    }

    @Test(arguments: [
        ("1MiB", 1_048_576), ("512KiB", 524_288), ("2KB", 2_000), ("3MB", 3_000_000), ("1GiB", 1 << 30),
        ("4096", 4096), ("10B", 10),
    ])
    func sizesParse(text: String, bytes: Int) {
        #expect(Units.byteSize(text) == bytes)
    }

    @Test(arguments: ["", "1 MiB", "1mib", "1.5MiB", "MiB", "-1", "1TB", "1Mi", "99999999999999999999MiB"])
    func sizesReject(text: String) {
        #expect(Units.byteSize(text) == nil)
    }
}
