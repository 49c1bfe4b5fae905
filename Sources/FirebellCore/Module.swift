// FirebellCore: what Firebell decides, with no I/O and no clock.
//
// Owns the one `Event` model and every decoder into it (Sentry envelope and store,
// generic JSON, Alertmanager, OTLP with the stack-trace parsers behind it),
// fingerprinting, the config model and its rule engine, the batch processor,
// backtest, and the text of alerts. Time, ids and randomness come in as arguments.
// Imports Foundation, Yams, swift-log, and swift-protobuf with the OTLP code generated
// from it (FirebellOTLPProto, read only by `OTLPRequest` and its neighbours in OTLP/):
// never a store, a network client or a C library.
//
// The path of an event:
//   1. a route decodes the request into `Event`s (`GenericEventDecoder`,
//      `SentryEnvelopeReader`, `SentryEventDecoder`, `AlertmanagerDecoder`,
//      `OTLPRequest.export`), text bounded at decode;
//   2. the ingest stage fingerprints each (`Fingerprinter`) into an `IngestItem`;
//   3. the writer gathers items into a batch; the store loads the `BatchSnapshot`
//      of `BatchProcessor.request(for:)` (known event ids, the issues with their
//      `IssueWindows`, known users) inside its transaction;
//   4. `BatchProcessor.process` decides every event in order: window counts,
//      `Scorer` (score and why), `AlertPolicy` (new, regression, escalation, repeat,
//      mute), `AlertRouter` (channels, digests), giving a `BatchChange` and one
//      `BatchOutcome` per event;
//   5. the store commits the change (events, issues, users, outbox rows) in the same
//      transaction and answers with one `IngestOutcome` per event;
//   6. the deliverer (FirebellDelivery) sends the outbox rows.
// `firebell backtest` runs steps 2 and 4 over stored events (`Backtest`, `ReplayState`).
