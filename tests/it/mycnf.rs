//! `~/.my.cnf` for MariaDB URLs without a password, as the `mariadb` client reads it: against
//! the real server (a user with a password made here, `HOME` a temp dir) and against the real
//! client's own reading of the same files (`mariadb --print-defaults`, `my_print_defaults`).
use std::path::Path;
use std::process::{Command, Output};

use anonkos::source::db::mycnf;

use crate::db::{MyGuard, env_url, my_conn, unique};
use crate::util::{TestDir, anonkos, stderr, stdout};

/// The test user's password: quotes, `#` and a space, which the file must quote.
const PW: &str = "Mq7#kz 9'w";
/// The same in `.my.cnf` syntax.
const PW_CNF: &str = "\"Mq7#kz 9'w\"";

fn write_cnf(home: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = home.join(".my.cnf");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `anonkos scan URL` with `HOME` set to `home` and no `MYSQL_PWD`.
fn scan(home: &Path, url: &str) -> Output {
    anonkos()
        .env("HOME", home)
        .env_remove("MYSQL_PWD")
        .args(["scan", url])
        .output()
        .unwrap()
}

fn assert_no_password(what: &str, o: &Output) {
    for text in [stdout(o), stderr(o)] {
        assert!(
            !text.contains("Mq7") && !text.contains("kz 9"),
            "{what} shows the password:\n{text}"
        );
    }
}

#[test]
fn my_cnf_gives_the_password_of_a_url_without_one() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let db = unique("anonkos_cnf");
    let user = unique("anonkos_cu");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: Some(user.clone()),
    };
    let mut c = my_conn(&url).unwrap();
    let pw_sql = PW.replace('\'', "''");
    for sql in [
        format!("CREATE DATABASE `{db}`"),
        format!("CREATE TABLE `{db}`.kontakte (id int, telefoni varchar(40))"),
        format!("INSERT INTO `{db}`.kontakte VALUES (1, '044 123 456'), (2, '045 234 567')"),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{pw_sql}'"),
        format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"),
    ] {
        c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let o = mysql::Opts::from_url(&url.replacen("mariadb://", "mysql://", 1)).unwrap();
    let (host, port) = (o.get_ip_or_hostname().to_string(), o.get_tcp_port());
    let d = TestDir::new();
    let home = d.path();

    // No file: the server refuses the user without a password.
    let with_user = format!("mysql://{user}@{host}:{port}/{db}");
    let o = scan(home, &with_user);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));

    // [client] with the password: accepted, as `mariadb` would connect.
    write_cnf(
        home,
        &format!("# test\n[client]\nuser = {user}\npassword = {PW_CNF} # quoted\n"),
        0o600,
    );
    let o = scan(home, &with_user);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("kontakte"), "{}", stdout(&o));
    assert_no_password("scan with ~/.my.cnf", &o);
    // The user comes from the file too, and `mariadb://` is the same.
    let o = scan(home, &format!("mariadb://{host}:{port}/{db}"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The client's groups, later lines winning: [mysql] after [client].
    write_cnf(
        home,
        &format!(
            "[client]\npassword=wrong\n[mysqld]\npassword=server\n[mysql]\npassword={PW_CNF}\n"
        ),
        0o600,
    );
    let o = scan(home, &with_user);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // [mariadb] is a server group: the client does not read it, nor does anonkos.
    write_cnf(home, &format!("[mariadb]\npassword={PW_CNF}\n"), 0o600);
    let o = scan(home, &with_user);
    assert_ne!(o.status.code(), Some(0));
    assert_no_password("scan with a server group", &o);
    // A password for another user in the file is not sent for this one.
    write_cnf(
        home,
        &format!("[client]\nuser=someone_else\npassword={PW_CNF}\n"),
        0o600,
    );
    let o = scan(home, &with_user);
    assert_ne!(o.status.code(), Some(0));
    assert_no_password("scan with another user's password", &o);

    // Readable by group or others: refused, clearly, without the password.
    write_cnf(
        home,
        &format!("[client]\nuser={user}\npassword={PW_CNF}\n"),
        0o644,
    );
    let o = scan(home, &with_user);
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains(".my.cnf") && err.contains("0644") && err.contains("chmod 600"),
        "{err}"
    );
    assert_no_password("scan refusing a 0644 ~/.my.cnf", &o);
    // A password in the URL never reads the file at all (even a refused one).
    let o = anonkos()
        .env("HOME", home)
        .env_remove("MYSQL_PWD")
        .args(["scan", &with_user.replacen('@', ":nope@", 1)])
        .output()
        .unwrap();
    assert!(!stderr(&o).contains(".my.cnf"), "{}", stderr(&o));
}

/// The text of a `.my.cnf` with every syntax rule the reader follows.
const SYNTAX: &str = "# comment\n\
; another\n\
[client]\n\
user = alice\n\
password = \"se#cr et\" # trailing comment\n\
port=3307\n\
[mysqld]\n\
password=server\n\
[mariadb]\n\
password=server-too\n\
[client-mariadb]\n\
host = db.example\n\
[mysql]\n\
password='a\\tb\\\\c\\sd'\n\
loose-port = 3308\n\
[mariadb-client]\n\
user=bob\n\
[mysqldump]\n\
user=dumper\n";

/// The real client's reading of the same file: `my_print_defaults` (values with spaces, one
/// per line) with the groups `mariadb --print-defaults` reads, which must be the same.
#[test]
fn my_cnf_reads_as_the_mariadb_client_reads_it() {
    let tools = ["my_print_defaults", "mariadb"].map(|t| {
        let found = Command::new(t).arg("--help").output().is_ok();
        if !found {
            assert!(std::env::var("CI").is_err(), "{t} is missing in CI");
            use std::io::Write;
            let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {t} not found");
        }
        found
    });
    if tools.contains(&false) {
        return;
    }
    let d = TestDir::new();
    let path = d.path().join("my.cnf");
    std::fs::write(&path, SYNTAX).unwrap();
    let file = path.display().to_string();
    let groups = [
        "mysql",
        "mariadb-client",
        "client",
        "client-server",
        "client-mariadb",
    ];
    let o = Command::new("my_print_defaults")
        .arg(format!("--defaults-file={file}"))
        .args(groups)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // The client's answer: the last value of each option wins.
    let mut want = mycnf::ClientOptions::default();
    for line in stdout(&o).lines() {
        let (k, v) = line.trim_start_matches("--").split_once('=').unwrap();
        let k = k.trim_start_matches("loose-");
        match k {
            "user" => want.user = Some(v.to_string()),
            "password" => want.password = Some(v.to_string()),
            "host" => want.host = Some(v.to_string()),
            "port" => want.port = Some(v.parse().unwrap()),
            _ => {}
        }
    }
    assert_eq!(
        want.password.as_deref(),
        Some("a\tb\\c d"),
        "{}",
        stdout(&o)
    );
    assert_eq!(mycnf::parse(SYNTAX).unwrap(), want);
    // `mariadb` itself reads exactly these groups (values without spaces to compare its one
    // line of arguments).
    let plain = SYNTAX
        .replace("\"se#cr et\"", "first")
        .replace("'a\\tb\\\\c\\sd'", "second");
    std::fs::write(&path, &plain).unwrap();
    let o = Command::new("mariadb")
        .arg(format!("--defaults-file={file}"))
        .arg("--print-defaults")
        .output()
        .unwrap();
    let args = stdout(&o);
    let args = args.lines().last().unwrap_or("").trim();
    let mine = Command::new("my_print_defaults")
        .arg(format!("--defaults-file={file}"))
        .args(groups)
        .output()
        .unwrap();
    let mine: Vec<String> = stdout(&mine).lines().map(str::to_string).collect();
    assert_eq!(args.split(' ').collect::<Vec<_>>(), mine, "{args}");
    let parsed = mycnf::parse(&plain).unwrap();
    assert_eq!(
        (
            parsed.user.as_deref(),
            parsed.password.as_deref(),
            parsed.port
        ),
        (Some("bob"), Some("second"), Some(3308))
    );
}
