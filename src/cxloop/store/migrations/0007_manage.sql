-- Managing by the loop (docs/loop_manage.md): initiatives with key results, their history and their links
-- to holds and cases; integrity flags with the records they cover; red/yellow cards.
-- Operational history is appended (initiative_history), never updated in place.

CREATE TABLE initiatives (
    initiative_id     VARCHAR PRIMARY KEY,
    title             VARCHAR NOT NULL,
    objective         VARCHAR,
    owner_department  VARCHAR NOT NULL,
    departments       VARCHAR[] NOT NULL,
    status            VARCHAR NOT NULL,   -- proposed | active | done | dropped
    product           VARCHAR,
    topic_id          VARCHAR,
    change_date       DATE,               -- local date of the change whose effect is measured
    comparison        JSON,               -- {"field": [values]}: the stated comparison group (null: other products)
    painpoint         JSON,               -- the ranked pain point it was created from (evidence and value)
    estimated_value   DOUBLE,             -- NPS points at stake of that pain point
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR NOT NULL,
    closed_at         TIMESTAMP,
    close_reason      VARCHAR
);

CREATE TABLE initiative_history (
    initiative_id  VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    actor          VARCHAR NOT NULL,
    action         VARCHAR NOT NULL,      -- created | status | change_date | kr_added | linked | closed
    detail         JSON,
    PRIMARY KEY (initiative_id, seq)
);

CREATE TABLE key_results (
    kr_id             VARCHAR PRIMARY KEY,
    initiative_id     VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,   -- a metric of the metrics layer, or mention_share
    topic_id          VARCHAR,
    filters           JSON NOT NULL,      -- {"field": [values]}
    target            DOUBLE,
    due               DATE,
    direction         VARCHAR NOT NULL,   -- higher | lower: which way is better
    baseline          DOUBLE,
    baseline_n        BIGINT,
    baseline_ci_low   DOUBLE,
    baseline_ci_high  DOUBLE,
    baseline_start    DATE,               -- local dates, inclusive
    baseline_end      DATE,
    created_at        TIMESTAMP NOT NULL
);

CREATE TABLE initiative_links (
    initiative_id  VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,      -- hold | case
    ref_id         VARCHAR NOT NULL,
    linked_at      TIMESTAMP NOT NULL,
    actor          VARCHAR NOT NULL,
    PRIMARY KEY (initiative_id, kind, ref_id)
);

CREATE TABLE integrity_runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    flags        BIGINT,
    records      BIGINT,
    summary      JSON
);

-- the flags of the latest run (a run replaces them); flag_id is stable for the same kind, unit and month
CREATE TABLE integrity_flags (
    flag_id    VARCHAR PRIMARY KEY,
    run_id     VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,   -- score_begging | improbable_distribution | duplicate | own_identifier
                                   -- | score_text_contradiction
    agent_id   VARCHAR,
    team       VARCHAR,
    unit       JSON,               -- {"agent_id": ...} or {"partner": ...} or {"source": ...}
    month      DATE,               -- local month start
    severity   VARCHAR NOT NULL,   -- high | medium | low
    n_records  BIGINT NOT NULL,
    evidence   JSON NOT NULL
);

-- the responses each flag covers: what --exclude-flagged leaves out of every metric
CREATE TABLE integrity_flag_records (
    flag_id    VARCHAR NOT NULL,
    record_id  VARCHAR NOT NULL
);

CREATE TABLE cards (
    card_id     VARCHAR PRIMARY KEY,
    run_id      VARCHAR NOT NULL,
    month       DATE NOT NULL,
    team        VARCHAR NOT NULL,
    color       VARCHAR NOT NULL,  -- yellow | red
    incidents   BIGINT NOT NULL,
    andon       BIGINT NOT NULL,
    evidence    JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
