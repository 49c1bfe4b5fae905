import Testing

@testable import FirebellServer

struct SentryAuthTests {
    @Test(arguments: [
        ("Sentry sentry_key=abc, sentry_version=7", "abc"),
        ("Sentry sentry_version=7,sentry_client=raven-python/6.0, sentry_key= abc ", "abc"),
        ("  sentry   sentry_key=abc", "abc"),
        ("sentry_key=abc, sentry_version=7", "abc"),
        ("SENTRY sentry_key=k\t", "k"),
    ])
    func findsTheKeyInTheAuthHeader(_ header: String, _ key: String) {
        #expect(SentryAuth.key(inAuthHeader: header) == key)
    }

    @Test(arguments: ["Bearer abc", "Sentry sentry_key=", "Sentry sentry_version=7", "Sentry", "", "sentry_keyabc"])
    func findsNoKeyWhereThereIsNone(_ header: String) {
        #expect(SentryAuth.key(inAuthHeader: header) == nil)
    }
}
