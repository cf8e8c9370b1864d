-- Users, API tokens, browser sessions and the audit log (issue 12).
-- Secrets are never stored: passwords as argon2id hashes, API tokens and session ids as SHA-256 hashes of
-- 256-bit random values (a leaked database file gives no usable credential).

CREATE TABLE users (
    user_name      VARCHAR PRIMARY KEY,
    role           VARCHAR NOT NULL,      -- admin | analyst | agent | viewer | partner
    department     VARCHAR,
    partner        VARCHAR,
    pii            BOOLEAN NOT NULL DEFAULT false,
    password_hash  VARCHAR,               -- argon2id (PHC string); null: token access only
    disabled_at    TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE tokens (
    token_id     VARCHAR PRIMARY KEY,     -- the public part of the token (shown by 'tokens list')
    user_name    VARCHAR NOT NULL,
    token_hash   VARCHAR NOT NULL,        -- SHA-256 of the whole token
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);

CREATE TABLE sessions (
    session_hash VARCHAR PRIMARY KEY,     -- SHA-256 of the cookie value
    user_name    VARCHAR NOT NULL,
    csrf_token   VARCHAR NOT NULL,
    client       VARCHAR,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);

-- Append-only: the app layer only inserts. Each row carries the SHA-256 of the previous row's hash and
-- its own content, so an edited or deleted row breaks the chain ('cxloop audit --verify').
CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    audit_id   BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    logged_at  TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,          -- a user name, or 'owner' (the CLI)
    via        VARCHAR NOT NULL,          -- cli | token | session | anonymous
    client     VARCHAR,                   -- the HTTP peer address
    action     VARCHAR NOT NULL,          -- e.g. login, login.failed, users.add, ingest, pii.view
    target     VARCHAR,
    outcome    VARCHAR NOT NULL,          -- ok | denied | failed
    detail     JSON,
    row_hash   VARCHAR NOT NULL
);
