import Foundation
import Testing
@testable import FirebellCore

@Suite("Environment expansion")
struct EnvironmentExpansionTests {
    private let environment = ["HOST": "db.internal", "EMPTY": "", "PORT": "5432"]

    private func expand(_ text: String) -> ExpandedText {
        EnvironmentExpansion.expand(text, environment: environment)
    }

    @Test func setVariableExpands() {
        #expect(expand("postgres://${HOST}:${PORT}/fb").text == "postgres://db.internal:5432/fb")
    }

    @Test func defaultAppliesOnlyWhenUnset() {
        #expect(expand("${MISSING:-fallback}").text == "fallback")
        #expect(expand("${HOST:-fallback}").text == "db.internal")
        // Set but empty counts as set, as `${VAR-default}` would in a shell.
        #expect(expand("${EMPTY:-fallback}").text == "")
        #expect(expand("${MISSING:-}").unsetVariables.isEmpty)
    }

    @Test func unsetVariableWithoutDefaultIsEmptyAndRemembered() {
        let result = expand("https://${MISSING}/x")
        #expect(result.text == "https:///x")
        #expect(result.unsetVariables == ["MISSING"])
        #expect(result.unsetHint == " (environment variable MISSING is not set)")
    }

    @Test func malformedReferencesStayLiteral() {
        #expect(expand("pa$$word").text == "pa$$word")
        #expect(expand("${not closed").text == "${not closed")
        #expect(expand("${1BAD}").text == "${1BAD}")
        #expect(expand("cost: $5").text == "cost: $5")
    }

    @Test func doubledDollarEscapes() {
        #expect(expand("$${HOST}").text == "${HOST}")
    }
}
