//! `anonkos sample`: write the synthetic sample tables or a large benchmark file.
use super::{Exit, SampleArgs, output};
use crate::sample::dump::DumpKind;
use crate::sample::{
    SampleOptions, write_bench_csv, write_bench_dump, write_bench_parquet, write_samples,
};

/// Run the subcommand.
pub fn run(a: SampleArgs) -> Exit {
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        output::err(&format!("{}: {e}", a.out.display()));
        return Exit::Output;
    }
    let result = match a.bench_rows {
        Some(rows) => {
            let ext = match a.bench_format.as_str() {
                "pgdump" => "pg.sql",
                "mysqldump" => "mysql.sql",
                other => other,
            };
            let path = a.out.join(format!("bench.{ext}"));
            let written = match a.bench_format.as_str() {
                "parquet" => write_bench_parquet(&path, rows, a.seed),
                "pgdump" => write_bench_dump(&path, rows, a.seed, DumpKind::Pg),
                "mysqldump" => write_bench_dump(&path, rows, a.seed, DumpKind::MySql),
                _ => write_bench_csv(&path, rows, a.seed),
            };
            written.map(|bytes| format!("{} ({rows} rows, {bytes} bytes)\n", path.display()))
        }
        None => write_samples(
            &a.out,
            &SampleOptions {
                rows: a.rows,
                seed: a.seed,
            },
        )
        .map(|files| {
            files
                .iter()
                .map(|f| format!("{}\n", f.display()))
                .collect::<String>()
        }),
    };
    match result {
        Ok(text) => {
            let _ = output::out(&text);
            Exit::Ok
        }
        Err(e) => {
            output::err(&e.to_string());
            Exit::Output
        }
    }
}
