//! `korasim check-history FILE`: the oracle on a history file alone, judged with the options
//! the file states. The format's own example must pass; a lost write must fail unless the
//! file says retention allowed it; a file that breaks the syntax is bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn format_example() -> String {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sim/src/workloads/HISTORY_FORMAT.md"),
    )
    .expect("HISTORY_FORMAT.md is readable");
    let start = doc.find("## Example").expect("an example section");
    let block = &doc[start..];
    let open = block.find("```json\n").expect("a json block") + "```json\n".len();
    let close = block[open..].find("```").expect("a closed block");
    block[open..open + close].to_string()
}

/// Writes `text` to a fresh file and runs `korasim check-history` on it.
fn check(text: &str) -> Output {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let path = std::env::temp_dir().join(format!("korasim-history-{}-{nanos}.jsonl", std::process::id()));
    std::fs::write(&path, text).expect("the temporary directory is writable");
    let output = Command::new(env!("CARGO_BIN_EXE_korasim"))
        .arg("check-history")
        .arg(&path)
        .output()
        .expect("the korasim binary runs");
    let _ = std::fs::remove_file(&path);
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_formats_own_example_is_a_valid_history() {
    let output = check(&format_example());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("every history check held"));
}

#[test]
fn an_acknowledged_write_below_the_log_start_is_lost_unless_retention_allowed_it() {
    // The final read starts above the acknowledged offset 40, as after a wrongly trimmed log.
    let trimmed = format_example()
        .lines()
        .filter(|line| !line.contains("\"type\":\"read\""))
        .map(|line| {
            line.replace(
                "\"start_offset\":0,\"end_offset\":41",
                "\"start_offset\":41,\"end_offset\":41",
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let output = check(&trimmed);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("lost-acknowledged-write"),
        "{}",
        stdout(&output)
    );
    // The same file, saying retention allowed deleting below 41: nothing is lost.
    let allowed = trimmed.replace("\"allowed_start\":0", "\"allowed_start\":41");
    let output = check(&allowed);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn the_policy_line_decides_whether_a_duplicate_without_idempotence_is_a_bug() {
    let duplicated = concat!(
        r#"{"type":"history_policy","client":0,"at_ns":0,"version":2,"allow_duplicates_without_idempotence":false,"strict_for_weak_acks":false,"require_final_read":true}"#,
        "\n",
        r#"{"type":"produce_invoked","client":1,"op_id":1,"at_ns":10,"handed_over_ns":10,"topic":"t","partition":0,"key":null,"value":"v1","producer_id":null,"producer_epoch":null,"sequence":null,"acks":"all"}"#,
        "\n",
        r#"{"type":"produce_ok","client":1,"op_id":1,"at_ns":20,"offset":0}"#,
        "\n",
        r#"{"type":"read","client":2,"at_ns":30,"topic":"t","partition":0,"offset":0,"key":null,"value":"v1","final_read":true}"#,
        "\n",
        r#"{"type":"read","client":2,"at_ns":30,"topic":"t","partition":0,"offset":1,"key":null,"value":"v1","final_read":true}"#,
        "\n",
        r#"{"type":"final_read_done","client":2,"at_ns":40,"topic":"t","partition":0,"start_offset":0,"end_offset":2}"#,
        "\n",
    );
    let output = check(duplicated);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("duplicate-record"),
        "{}",
        stdout(&output)
    );
    let allowed = duplicated.replace(
        "\"allow_duplicates_without_idempotence\":false",
        "\"allow_duplicates_without_idempotence\":true",
    );
    assert_eq!(check(&allowed).status.code(), Some(0));
}

#[test]
fn a_line_that_is_not_the_format_is_bad_input() {
    let output = check("{\"type\":\"produce_invoked\",\"client\":1}\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error"));
}
