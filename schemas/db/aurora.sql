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
