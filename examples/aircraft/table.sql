-- The seed page's table: the aircraft positions its example record feeds.
-- mapper serve --table examples/aircraft/table.sql offers it in the web UI's New Source form.
CREATE TABLE aircraft (
    _id STRING,
    ts TIMESTAMP TIMEUNIT 'ms',
    aircraftid STRING,
    lat DECIMAL(4),
    long DECIMAL(4),
    track INT MIN 0 MAX 360,
    altitude INT MIN -2000 MAX 60000,
    speed INT MIN 0 MAX 2000,
    type STRING,
    reg STRING,
    origin STRING,
    destination STRING,
    iataid STRING,
    icaoid STRING,
    airline STRING
) COMMENT 'ADS-B positions from the seed page';
