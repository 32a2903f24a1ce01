-- Aurora Serverless PostgreSQL side: the staff table and its seed rows.
-- Run on an empty database (the local Data API does so at start and on reset).
CREATE TABLE staff (
    id   CHAR(4) PRIMARY KEY,
    name TEXT    NOT NULL,
    age  INTEGER
);

INSERT INTO staff (id, name, age) VALUES
    ('0001', 'Aurora', 12),
    ('0002', 'Lambda', 34),
    ('0003', 'Dynamo', 56);

-- The first outcome of each write sent with an Idempotency-Key, recorded by the write statement
-- itself (crates/api-core/src/idempotency.rs). A retry with the same key and request gets it back;
-- records are replayed for 24 hours, then replaced by the next write with that key.
CREATE TABLE idempotency_keys (
    key         TEXT        PRIMARY KEY,
    fingerprint TEXT        NOT NULL,
    response    TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
