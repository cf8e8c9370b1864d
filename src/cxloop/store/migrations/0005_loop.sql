-- The inner loop: alerts and their delivery, Andon holds, cases. History is appended, never updated in
-- place: an alert's, a hold's or a case's current state is its latest event.

CREATE TABLE alert_runs (
    run_id          VARCHAR PRIMARY KEY,
    started_at      TIMESTAMP NOT NULL,     -- wall clock
    finished_at     TIMESTAMP,
    data_clock      TIMESTAMP,              -- latest occurred_at in the workspace when the run started
    records_upto    TIMESTAMP,              -- records.updated_at evaluated up to
    events_upto     TIMESTAMP,              -- events.updated_at evaluated up to
    enriched_upto   TIMESTAMP,              -- enrichments.enriched_at evaluated up to
    new_alerts      BIGINT NOT NULL DEFAULT 0,
    actor           VARCHAR
);

-- alerts has no PRIMARY KEY for the same reason as records (0001): an ART index costs seconds per million
-- keys; alert_id is a hash of dedupe_key and the app inserts only ids not yet stored.
CREATE TABLE alerts (
    alert_id     VARCHAR NOT NULL,
    dedupe_key   VARCHAR NOT NULL,          -- rule | scope | window: the same finding never alerts twice
    rule         VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL,
    product      VARCHAR,
    topic        VARCHAR,
    department   VARCHAR,                   -- recipients: the topic owner or the rule's department
    title        VARCHAR NOT NULL,
    message      VARCHAR NOT NULL,
    customers    BIGINT NOT NULL DEFAULT 0, -- distinct customers behind the alert
    records      VARCHAR[],
    details      JSON,
    occurred_at  TIMESTAMP NOT NULL,        -- data time of the triggering data
    created_at   TIMESTAMP NOT NULL,        -- wall clock
    run_id       VARCHAR NOT NULL,
    hold_id      VARCHAR,
    case_id      VARCHAR
);

CREATE TABLE alert_events (
    alert_id  VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    seq       BIGINT NOT NULL,
    actor     VARCHAR NOT NULL,
    status    VARCHAR NOT NULL,             -- open | backfilled | acked | closed
    note      VARCHAR
);

-- Transactional outbox: a delivery row is written with its alert; attempts are appended after sending.
CREATE TABLE deliveries (
    delivery_id  VARCHAR PRIMARY KEY,
    alert_ids    VARCHAR[] NOT NULL,        -- one alert, or the alerts of an e-mail digest
    sink         VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    run_id       VARCHAR NOT NULL
);

CREATE TABLE delivery_attempts (
    delivery_id  VARCHAR NOT NULL,
    attempt      INTEGER NOT NULL,
    tried_at     TIMESTAMP NOT NULL,
    outcome      VARCHAR NOT NULL,          -- sent | failed | dead
    error        VARCHAR
);

CREATE TABLE holds (
    hold_id      VARCHAR PRIMARY KEY,
    rule         VARCHAR NOT NULL,
    product      VARCHAR NOT NULL,
    issue_key    VARCHAR NOT NULL,          -- topic:<id> or terms:<t1|t2|...>
    issue        VARCHAR NOT NULL,          -- a short human label
    topic_id     VARCHAR,
    terms        VARCHAR[],
    reason       VARCHAR NOT NULL,          -- why it fired, in words
    stats        JSON,
    opened_at    TIMESTAMP NOT NULL,        -- data time the rule fired
    created_at   TIMESTAMP NOT NULL,
    alert_id     VARCHAR
);

CREATE TABLE hold_events (
    hold_id        VARCHAR NOT NULL,
    changed_at     TIMESTAMP NOT NULL,
    seq            BIGINT NOT NULL,
    actor          VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,        -- on_hold | released
    reason         VARCHAR,
    initiative_id  VARCHAR
);

CREATE TABLE hold_evidence (
    hold_id      VARCHAR NOT NULL,
    record_id    VARCHAR NOT NULL,
    customer_id  VARCHAR,                   -- resolved customer, or R:<record_id> for a report without one
    occurred_at  TIMESTAMP NOT NULL,
    added_at     TIMESTAMP NOT NULL,
    run_id       VARCHAR NOT NULL
);

CREATE TABLE cases (
    case_id      VARCHAR PRIMARY KEY,
    dedupe_key   VARCHAR,                   -- automatic cases: origin | reference (case_id is its hash)
    title        VARCHAR NOT NULL,
    customer_id  VARCHAR,
    product      VARCHAR,
    origin       VARCHAR NOT NULL,          -- alert | andon | repeat_contact | detractor | complaint | manual
    origin_ref   VARCHAR,                   -- alert_id, hold_id or record_id
    opened_at    TIMESTAMP NOT NULL,        -- data time of what opened it (manual: wall clock)
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE case_records (
    case_id    VARCHAR NOT NULL,
    record_id  VARCHAR NOT NULL
);

-- Every change appends the case's full state after the change, with who and what changed.
CREATE TABLE case_events (
    case_id                VARCHAR NOT NULL,
    seq                    BIGINT NOT NULL,
    changed_at             TIMESTAMP NOT NULL,
    actor                  VARCHAR NOT NULL,
    change                 VARCHAR NOT NULL,
    status                 VARCHAR NOT NULL,
    priority               VARCHAR NOT NULL,
    owner                  VARCHAR,
    team                   VARCHAR,
    department             VARCHAR,
    due_at                 TIMESTAMP,
    root_cause_department  VARCHAR,
    resolution_code        VARCHAR,
    note                   VARCHAR
);

CREATE SEQUENCE loop_event_seq START 1;
