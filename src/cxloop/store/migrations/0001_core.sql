-- Canonical VOC model: records (text and scores), events (journey steps without text),
-- customers and their identifiers, ingest batches and rejects.
-- Times are UTC (TIMESTAMP without zone); `seq` is the row's position in its source file.

CREATE TABLE ingest_batches (
    batch_id      VARCHAR PRIMARY KEY,
    source        VARCHAR NOT NULL,
    file          VARCHAR NOT NULL,
    file_sha256   VARCHAR,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    inserted      BIGINT NOT NULL DEFAULT 0,
    updated       BIGINT NOT NULL DEFAULT 0,
    unchanged     BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    options       JSON
);

-- records, events, customers and identities have no PRIMARY KEY on purpose: a DuckDB ART index costs
-- ~2.5 s of CPU per million keys inserted (vs 0.3 s for the column alone), which made bulk ingest several
-- times slower. Ingest and identity resolution keep the keys unique themselves (a replaced row or
-- identity is deleted before its new version is inserted); tests/unit/ingest/test_ingest_uniqueness.py
-- checks it.
CREATE TABLE records (
    record_id        VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    channel          VARCHAR,
    kind             VARCHAR,
    occurred_at      TIMESTAMP NOT NULL,
    seq              BIGINT NOT NULL,
    batch_id         VARCHAR NOT NULL,
    customer_id      VARCHAR,
    phone            VARCHAR,
    email            VARCHAR,
    account          VARCHAR,
    openid           VARCHAR,
    device           VARCHAR,
    customer_ref     VARCHAR,
    product          VARCHAR,
    journey_stage    VARCHAR,
    touchpoint       VARCHAR,
    agent_id         VARCHAR,
    team             VARCHAR,
    department       VARCHAR,
    partner          VARCHAR,
    region           VARCHAR,
    language         VARCHAR,
    source_key       VARCHAR,
    case_id          VARCHAR,
    session_id       VARCHAR,
    event_type       VARCHAR,
    outcome          VARCHAR,
    duration_seconds DOUBLE,
    text             VARCHAR,
    nps              SMALLINT,
    csat             DOUBLE,
    ces              DOUBLE,
    rating           DOUBLE,
    attributes       JSON,
    raw              JSON NOT NULL,
    row_hash         VARCHAR NOT NULL,
    ingested_at      TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE events (
    event_id         VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    channel          VARCHAR,
    kind             VARCHAR,
    occurred_at      TIMESTAMP NOT NULL,
    seq              BIGINT NOT NULL,
    batch_id         VARCHAR NOT NULL,
    customer_id      VARCHAR,
    phone            VARCHAR,
    email            VARCHAR,
    account          VARCHAR,
    openid           VARCHAR,
    device           VARCHAR,
    customer_ref     VARCHAR,
    product          VARCHAR,
    journey_stage    VARCHAR,
    touchpoint       VARCHAR,
    agent_id         VARCHAR,
    team             VARCHAR,
    department       VARCHAR,
    partner          VARCHAR,
    region           VARCHAR,
    language         VARCHAR,
    source_key       VARCHAR,
    case_id          VARCHAR,
    session_id       VARCHAR,
    event_type       VARCHAR,
    outcome          VARCHAR,
    duration_seconds DOUBLE,
    attributes       JSON,
    raw              JSON NOT NULL,
    row_hash         VARCHAR NOT NULL,
    ingested_at      TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    customer_id  VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_seq  BIGINT NOT NULL
);

CREATE TABLE customer_aliases (
    alias_id     VARCHAR PRIMARY KEY,
    customer_id  VARCHAR NOT NULL,
    merged_at    TIMESTAMP NOT NULL
);

CREATE TABLE identities (
    id_type      VARCHAR NOT NULL,
    value        VARCHAR NOT NULL,
    customer_id  VARCHAR,
    source       VARCHAR,
    first_seen   TIMESTAMP,
    last_seen    TIMESTAMP
);

CREATE TABLE identity_blocklist (
    id_type   VARCHAR NOT NULL,
    value     VARCHAR NOT NULL,
    reason    VARCHAR NOT NULL,
    added_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (id_type, value)
);

CREATE TABLE tags (
    customer_id VARCHAR NOT NULL,
    tag         VARCHAR NOT NULL,
    value       VARCHAR,
    source      VARCHAR,
    PRIMARY KEY (customer_id, tag)
);

CREATE TABLE rejects (
    reject_id   VARCHAR PRIMARY KEY,
    batch_id    VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    row         BIGINT NOT NULL,
    field       VARCHAR,
    reason      VARCHAR NOT NULL,
    raw         JSON
);
