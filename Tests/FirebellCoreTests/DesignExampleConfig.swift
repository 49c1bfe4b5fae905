import Foundation

/// The example config from DESIGN.md §3, verbatim, so the loader is held to
/// the contract's own example.
enum DesignExample {
    static let environment = [
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XYZ",
        "SMTP_PASSWORD": "hunter2",
        "AUDIT_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    static let yaml = """
    server:
      listen: 127.0.0.1:8470
      base_url: http://127.0.0.1:8470      # used in links inside alerts
      admin_token: ${FIREBELL_ADMIN_TOKEN:-}
      max_body: 1MiB                       # per request, after decompression too
    storage:
      url: sqlite:data/firebell.sqlite     # postgres://user:pass@host/db for several nodes
      retention: 14d
    projects:
      - id: 1                              # the number in a Sentry DSN
        name: checkout
        keys: [5f0c4d3e2b1a49c8a7d6e5f4c3b2a190]   # DSN public keys / bearer tokens
        rate_limit: 600/min                # optional; 429 past it
    grouping:                              # optional fingerprint rules, first match wins
      - when: { exception.type: TimeoutError }
        fingerprint: ["timeout", "{{ tags.upstream }}"]
    severity:
      critical_at: 100                     # score ≥ critical_at → critical, else minor
      rules:
        - name: production errors
          when: { environment: production, level: [error, fatal] }
          add: 60
        - name: checkout path
          when: { message: { matches: "(?i)payment|checkout" } }
          add: 30
        - name: new issue
          when: { new_issue: true }
          add: 20
        - name: came back
          when: { regression: true }
          add: 20
        - name: spike
          when: { events_in: { window: 5m, over: 50 } }
          add: 50
        - name: many users
          when: { users_in: { window: 1h, over: 10 } }
          add: 40
        - name: bots never page
          when: { tags.user_agent: { contains: bot } }
          set: minor
    channels:
      console: { type: console }           # prints alerts to stdout (the demo default)
      oncall-slack: { type: slack, url: "${SLACK_WEBHOOK_URL}" }
      oncall-email:
        type: email
        url: smtps://smtp.example.com:465
        username: alerts@example.com
        password: ${SMTP_PASSWORD}
        from: "Firebell <alerts@example.com>"
        to: [oncall@example.com]
      audit: { type: webhook, url: "https://hooks.example.com/firebell", secret: "${AUDIT_SECRET}" }
    routes:                                # every matching route applies
      - when: { severity: critical }
        notify: [oncall-slack, oncall-email]
      - when: { severity: minor, environment: production }
        notify: [oncall-slack]
        digest: 1h                         # minor issues arrive as one summary per hour
    alerting:
      repeat_after: 1h                     # an ongoing issue alerts again at most this often
      channel_rate: 20/min                 # past this a channel gets one roll-up, not a flood
    """
}
