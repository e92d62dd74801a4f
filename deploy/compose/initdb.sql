-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d by compose.yaml). POSTGRES_USER (firesafe)
-- exists already and owns every service database: one database per service.
CREATE DATABASE registry OWNER firesafe;
CREATE DATABASE inspection OWNER firesafe;
CREATE DATABASE duty_roster OWNER firesafe;
CREATE DATABASE alerts OWNER firesafe;
