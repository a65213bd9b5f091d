#![allow(clippy::disallowed_methods)] // tests write fixtures and read reports directly
//! One integration-test binary (compiles once): CLI, exit codes, scans of the sample data,
//! bad input, and leak checks.
mod aggregate;
mod bad_corpus;
mod bad_input;
mod cli;
mod corpus2;
mod db;
mod db_secrets;
mod declare;
mod dumpout;
mod dumps;
mod fault;
mod fuzz_replay;
mod golden;
mod help;
mod keyfile;
mod leak;
mod mycnf;
mod nightly;
mod paths;
mod privacy;
mod readers;
mod realdump;
mod report;
mod restore;
mod run;
mod samples;
mod shape;
mod shard;
mod sheet_csv;
mod tls;
mod transform;
mod util;
mod workbooks;
