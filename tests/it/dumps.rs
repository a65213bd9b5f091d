//! SQL dump sources (pg_dump, mysqldump) through the CLI.
