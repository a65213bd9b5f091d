//! SQLite files and live PostgreSQL / MariaDB through the CLI.
