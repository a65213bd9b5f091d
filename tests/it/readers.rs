//! Outputs read by people: names from the data never reach a terminal as control characters,
//! never render as HTML or Markdown structure, and CSV cells that a spreadsheet would run as
//! formulas are neutralised when the pipeline asks for it.
use crate::util::{TestDir, anonkos, files_under, stderr, stdout};

/// A header with an escape sequence that clears the screen and a bidi override.
const ESC_NAME: &str = "emri\u{1b}[2J\u{1b}[Hok";
const BIDI_NAME: &str = "shenim\u{202e}txt.exe";

fn has_raw_controls(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

#[test]
fn control_characters_in_names_are_shown_as_escapes() {
    let d = TestDir::new();
    let name = "a\u{1b}]0;pwned\u{7}b\u{202e}.csv";
    let csv = d.file(
        name,
        format!("id,{ESC_NAME},{BIDI_NAME}\n1,Arben,x\n2,Drita,y\n").as_bytes(),
    );
    let o = anonkos().args(["scan", &csv]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!has_raw_controls(&text), "{text:?}");
    assert!(!has_raw_controls(&stderr(&o)), "{:?}", stderr(&o));
    assert!(text.contains("emri\\x1b[2J\\x1b[Hok"), "{text}");
    assert!(text.contains("shenim\\u{202e}txt.exe"), "{text}");
    assert!(text.contains("\\x1b]0;pwned\\x07b\\u{202e}.csv"), "{text}");
    // The run's text summary and its messages too.
    let p = d.file("p.toml", PIPELINE.as_bytes());
    let out = d.path().join("out");
    let o = anonkos()
        .args([
            "run",
            &p,
            "--input",
            &csv,
            "--out-dir",
            &out.display().to_string(),
        ])
        .output()
        .unwrap();
    // Exit 1: the names are left in on purpose, and verification says so.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(!has_raw_controls(&stdout(&o)), "{:?}", stdout(&o));
    assert!(!has_raw_controls(&stderr(&o)), "{:?}", stderr(&o));
    // The processing log names the input in its command line.
    let log = out.join("anonkos-processing.jsonl").display().to_string();
    for sub in ["show", "verify"] {
        let o = anonkos().args(["log", sub, &log]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!has_raw_controls(&stdout(&o)), "{:?}", stdout(&o));
    }
    // JSON keeps the names exact (escaped by JSON itself).
    let o = anonkos()
        .args(["scan", &csv, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let cols: Vec<&str> = v["datasets"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        cols.contains(&ESC_NAME) && cols.contains(&BIDI_NAME),
        "{cols:?}"
    );
}

#[test]
fn html_in_names_is_escaped_in_markdown_reports() {
    let d = TestDir::new();
    let evil = "<img src=x onerror=alert(1)>";
    let csv = d.file(
        "<b>x.csv",
        format!("id,\"{evil}\",a|b*c*\n1,Arben,x\n2,Drita,y\n").as_bytes(),
    );
    let fs = crate::util::root()
        .join("filing-systems.toml")
        .display()
        .to_string();
    for args in [
        vec!["scan", csv.as_str(), "--format", "md"],
        vec![
            "scan",
            csv.as_str(),
            "--filing-systems",
            fs.as_str(),
            "--format",
            "md",
        ],
    ] {
        let o = anonkos().args(&args).output().unwrap();
        let md = stdout(&o);
        assert!(
            !md.contains("<img") && !md.contains("<b>"),
            "{args:?}: {md}"
        );
        assert!(
            md.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{args:?}: {md}"
        );
        assert!(!md.contains("a|b*c*"), "{args:?}: {md}");
    }
}

/// A pipeline writing CSV, nothing keyed; `extra` goes into `[output]`.
const PIPELINE: &str = "[pipeline]\nname = \"p\"\nstrict = false\n\n[output]\nformat = \"csv\"\n\n[key]\nmode = \"none\"\n";

#[test]
fn csv_formula_cells_are_neutralised_on_request() {
    let d = TestDir::new();
    let cells = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain"];
    let mut text = String::from("id,=HYPERLINK(\"http://x\")\n");
    for (i, c) in cells.iter().enumerate() {
        text.push_str(&format!("{i},\"{c}\"\n"));
    }
    let csv = d.file("formulas.csv", text.as_bytes());
    let read = |extra: &str| {
        let p = d.file(
            "p.toml",
            PIPELINE
                .replace("format = \"csv\"\n", &format!("format = \"csv\"\n{extra}"))
                .as_bytes(),
        );
        let out = d.path().join("out");
        let _ = std::fs::remove_dir_all(&out);
        let o = anonkos()
            .args([
                "run",
                &p,
                "--input",
                &csv,
                "--out-dir",
                &out.display().to_string(),
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{extra}: {}", stderr(&o));
        let f = files_under(&out)
            .into_iter()
            .find(|f| f.extension().is_some_and(|e| e == "csv"))
            .unwrap();
        let mut r = csv::Reader::from_path(&f).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let col: Vec<String> = r.records().map(|x| x.unwrap()[1].to_string()).collect();
        (header[1].clone(), col)
    };
    let (h, kept) = read("");
    assert_eq!(h, "=HYPERLINK(\"http://x\")");
    assert_eq!(kept, cells);
    let (h, safe) = read("csv_formulas = \"neutralise\"\n");
    assert_eq!(h, "'=HYPERLINK(\"http://x\")");
    let want: Vec<String> = cells
        .iter()
        .map(|c| {
            if *c == "plain" {
                c.to_string()
            } else {
                format!("'{c}")
            }
        })
        .collect();
    assert_eq!(safe, want);
    // An unknown value is a pipeline error listing the choices.
    let p = d.file(
        "bad.toml",
        PIPELINE
            .replace(
                "format = \"csv\"\n",
                "format = \"csv\"\ncsv_formulas = \"maybe\"\n",
            )
            .as_bytes(),
    );
    let o = anonkos()
        .args(["run", &p, "--input", &csv, "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("neutralise"), "{}", stderr(&o));
}
