import Testing

@testable import FirebellStore

/// `storage.url` for PostgreSQL, read as libpq would, and refused with a reason.
struct PostgresLocationTests {
    @Test func readsEveryPartAndDecodesTheCredentials() throws {
        let location = try PostgresLocation(url: "postgres://fire%40bell:p%3Ass%2Fw@db.internal:6543/events?sslmode=verify-full")
        #expect(location == PostgresLocation(
            host: "db.internal", port: 6543, user: "fire@bell", password: "p:ss/w", database: "events", sslMode: .verifyFull))
    }

    @Test func defaultsAreLibpqs() throws {
        let location = try PostgresLocation(url: "postgresql://firebell@127.0.0.1")
        #expect(location == PostgresLocation(host: "127.0.0.1", port: 5432, user: "firebell", password: nil, database: "firebell", sslMode: .prefer))
    }

    @Test(arguments: [
        ("postgres://u@h/db?sslmode=allow", "sslmode 'allow' is not one of disable, prefer, require, verify-full"),
        ("postgres://u@h/db?timeout=3", "unknown parameter 'timeout'"),
        ("postgres://h/db", "no user"),
        ("postgres:///db", "no host"),
    ])
    func aBadURLSaysWhatIsWrong(url: String, message: String) {
        #expect {
            try PostgresLocation(url: url)
        } throws: { error in
            (error as? StoreError)?.description.contains(message) == true
        }
    }
}
