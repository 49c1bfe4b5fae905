/// The SQLite schema, as numbered migrations applied in order and recorded in `schema_migrations`.
///
/// Append new migrations; never edit an applied one.
enum SQLiteSchema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE issues (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                project_id INTEGER NOT NULL,
                fingerprint TEXT NOT NULL,
                status TEXT NOT NULL,
                last_seen REAL NOT NULL,
                data TEXT NOT NULL,
                UNIQUE (project_id, fingerprint)
            )
            """,
            "CREATE INDEX issues_last_seen ON issues (last_seen)",
            """
            CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                project_id INTEGER NOT NULL,
                event_id TEXT NOT NULL,
                issue_id INTEGER NOT NULL,
                received_at REAL NOT NULL,
                user_key TEXT,
                payload TEXT NOT NULL,
                UNIQUE (project_id, event_id)
            )
            """,
            "CREATE INDEX events_issue_time ON events (issue_id, received_at)",
            "CREATE INDEX events_received ON events (received_at)",
            """
            CREATE TABLE issue_users (
                issue_id INTEGER NOT NULL,
                user_key TEXT NOT NULL,
                PRIMARY KEY (issue_id, user_key)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                issue_id INTEGER NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                created_at REAL NOT NULL,
                finished_at REAL,
                last_status INTEGER,
                last_error TEXT,
                digest REAL,
                alert TEXT NOT NULL
            )
            """,
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        ],
        [
            // Follow-ups thread under (or edit) the first message on a channel.
            """
            CREATE TABLE threads (
                issue_id INTEGER NOT NULL,
                channel TEXT NOT NULL,
                reference TEXT NOT NULL,
                PRIMARY KEY (issue_id, channel)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX outbox_issue ON outbox (issue_id)",
        ],
        [
            // Set while a delivery is in flight, so a restart can tell interrupted claims from scheduled retries.
            "ALTER TABLE outbox ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0",
        ],
        [
            // A claim takes each channel's earliest due rows up to its room (`ChannelRoom`).
            "CREATE INDEX outbox_channel_due ON outbox (status, channel, next_attempt_at)",
        ],
        [
            // Issue lists sort by the minute an issue was last seen, then by last_seen: an
            // index on last_seen itself moved on every event and was a third of the cost
            // of writing an issue; the minute changes at most once a minute.
            "ALTER TABLE issues ADD COLUMN seen_minute INTEGER NOT NULL DEFAULT 0",
            "UPDATE issues SET seen_minute = CAST(last_seen / 60 AS INTEGER)",
            "DROP INDEX issues_last_seen",
            "CREATE INDEX issues_seen_minute ON issues (seen_minute)",
        ],
        [
            // An issue's recent events and users, as far as its window rules reach
            // (`IssueWindows`), so a batch never counts them again from `events`.
            // Issues from before start empty: their windows fill with the next events.
            "ALTER TABLE issues ADD COLUMN windows BLOB",
        ],
        [
            // Alerts held back by channel_rate go out in one roll-up, restart or not.
            "ALTER TABLE outbox ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0",
            // A claim skips a row while an earlier one of its issue and channel is pending (`OutboxPair`).
            "CREATE INDEX outbox_pending_pair ON outbox (issue_id, channel, id) WHERE status = 'pending'",
            // channel_rate buckets outlive the process (`Store.withChannelBucket`).
            """
            CREATE TABLE channel_buckets (
                channel TEXT PRIMARY KEY,
                rate TEXT NOT NULL,
                tokens REAL NOT NULL,
                updated_at REAL NOT NULL
            ) WITHOUT ROWID
            """,
        ],
        [
            // Each project's releases: when each was first seen and how many new issues
            // it brought, for deploy context in alerts (`DeployWindow`); `last_seen` for
            // retention.
            """
            CREATE TABLE releases (
                project_id INTEGER NOT NULL,
                version TEXT NOT NULL,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                new_issues INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (project_id, version)
            ) WITHOUT ROWID
            """,
        ],
        [
            // Critical pages on one route that came together (`Incident`): at most one
            // not ended per route, so two writers opening one at once cannot both win.
            """
            CREATE TABLE incidents (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                route TEXT NOT NULL,
                opened_at REAL NOT NULL,
                last_joined_at REAL NOT NULL,
                last_update_due REAL,
                issue_count INTEGER NOT NULL,
                ended_at REAL,
                end_reason TEXT,
                first_issue_id INTEGER NOT NULL,
                first_page TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX incidents_open_route ON incidents (route) WHERE ended_at IS NULL",
            """
            CREATE TABLE incident_issues (
                incident_id INTEGER NOT NULL,
                issue_id INTEGER NOT NULL,
                kind TEXT NOT NULL,
                joined_at REAL NOT NULL,
                joined INTEGER NOT NULL
            )
            """,
            "CREATE INDEX incident_issues_incident ON incident_issues (incident_id)",
            "CREATE INDEX incident_issues_issue ON incident_issues (issue_id)",
            // Set on an incident's follow-ups: the deliverer sends them together.
            "ALTER TABLE outbox ADD COLUMN incident_id INTEGER",
        ],
    ]
}
