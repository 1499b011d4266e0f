-- The account sluice and its tests use (docker-compose.yml): all privileges, including
-- REPLICATION SLAVE and REPLICATION CLIENT for reading the binlog.
CREATE USER IF NOT EXISTS 'sluice'@'%' IDENTIFIED BY 'sluice';
GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'%' WITH GRANT OPTION;
