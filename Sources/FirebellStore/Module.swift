// FirebellStore: where Firebell keeps things, and nothing about what to decide.
//
// Owns the `Store` protocol and its backends (SQLite; PostgreSQL for several nodes;
// the in-memory twin tests use): load the snapshot a batch needs, commit the change
// set the batch processor decided (issues, events, users and owed outbox rows in one
// transaction), and the reads and triage writes the CLI, the admin API and the
// deliverer need; migrations; the group-commit `IngestWriter`. Which alert, which
// channel and when to send are decided in FirebellCore and FirebellDelivery. Imports
// FirebellCore, the SQLite and PostgreSQL drivers, NIO and swift-log; never
// FirebellDelivery or a network client.
