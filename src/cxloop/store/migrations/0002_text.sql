-- Text intelligence: enrichments per record (one row per record, replaced when the record or the
-- model version changes), the topic taxonomy and the FAQ of standard questions.

CREATE TABLE enrichments (
    record_id         VARCHAR PRIMARY KEY,
    row_hash          VARCHAR NOT NULL,   -- records.row_hash when enriched: a changed record is re-enriched
    model_version     VARCHAR NOT NULL,   -- pipeline version, e.g. "norm1+pii1+sent-zh3+emo2+topics5"
    language          VARCHAR,            -- zh | en | mixed | other
    text_redacted     VARCHAR,
    tokens            VARCHAR[],
    sentiment         VARCHAR,            -- neg | neu | pos
    sentiment_score   DOUBLE,             -- [-1, 1]
    emotion           VARCHAR,            -- anger disgust fear sadness joy surprise neutral
    topic_id          VARCHAR,            -- primary topic (null: no topic covers the text)
    topic_confidence  DOUBLE,
    topics            JSON,               -- [{"topic_id", "confidence", "sentiment", "method"}]
    aspects           JSON,               -- [{"aspect", "sentiment", "span"}]
    faq_id            VARCHAR,
    faq_score         DOUBLE,
    cluster_id        VARCHAR,            -- discovered topic candidate
    enriched_at       TIMESTAMP NOT NULL
);

CREATE TABLE taxonomy (
    topic_id          VARCHAR PRIMARY KEY,
    parent_id         VARCHAR,
    name_zh           VARCHAR NOT NULL,
    name_en           VARCHAR NOT NULL,
    keywords          VARCHAR[],
    pattern           VARCHAR,
    owner_department  VARCHAR,
    examples          VARCHAR[],
    origin            VARCHAR NOT NULL DEFAULT 'default'   -- default | workspace | discovered
);

CREATE TABLE faq (
    faq_id     VARCHAR PRIMARY KEY,
    question   VARCHAR NOT NULL,
    variants   VARCHAR[],
    answer     VARCHAR,
    product    VARCHAR
);

CREATE TABLE topic_candidates (
    cluster_id   VARCHAR PRIMARY KEY,
    label        VARCHAR NOT NULL,
    keywords     VARCHAR[],
    examples     VARCHAR[],
    size         BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    accepted_as  VARCHAR
);
