-- Redshift Serverless side: the flightdata table counted by POST /redshift_select.
-- 118 deterministic rows (the count the seed article's table had).
CREATE TABLE flightdata (
    flight_id      INTEGER      PRIMARY KEY,
    flight_date    DATE         NOT NULL,
    carrier        CHAR(2)      NOT NULL,
    origin         CHAR(3)      NOT NULL,
    destination    CHAR(3)      NOT NULL,
    departure_delay INTEGER,
    distance_miles INTEGER      NOT NULL
);

INSERT INTO flightdata (flight_id, flight_date, carrier, origin, destination, departure_delay, distance_miles)
SELECT n,
       DATE '2023-01-01' + (n % 31),
       (ARRAY['AA', 'DL', 'UA', 'WN'])[1 + n % 4],
       (ARRAY['JFK', 'LAX', 'ORD', 'SEA', 'ATL'])[1 + n % 5],
       (ARRAY['SFO', 'BOS', 'DEN', 'MIA'])[1 + n % 4],
       CASE WHEN n % 7 = 0 THEN NULL ELSE (n * 13) % 90 - 10 END,
       300 + (n * 37) % 2400
FROM generate_series(1, 118) AS n;
