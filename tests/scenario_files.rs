//! Scenario files (`scenarios/*.toml`): every file of the catalogue parses, the example of
//! `scenarios/REFERENCE.md` parses, and a malformed file is rejected with its file, line,
//! column, a message naming the problem and (where the parser has one) a hint. The last
//! tests hold the `korasim run` contract: bad input exits with status 2 and says where.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use korasim_sim::scenario_file::{catalogue_files, load, load_catalogue, parse, ScenarioError, Target};

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The path every malformed text below claims to come from; its stem matches `name = "bad"`.
const BAD_FILE: &str = "scenarios/bad.toml";

/// One scenario text from its lines, so that a test can show each line's number next to it.
fn lines(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Parses `text` as `scenarios/bad.toml`, which must fail.
fn rejected(text: &str) -> ScenarioError {
    match parse(Path::new(BAD_FILE), text) {
        Ok(spec) => panic!("expected an error, the text parsed as {spec:#?}\n{text}"),
        Err(error) => error,
    }
}

/// What an error must say: where, what (each of `message` must appear in the message) and, when
/// `hint` is given, that there is a hint containing it.
struct Expected<'a> {
    line: usize,
    column: Option<usize>,
    message: &'a [&'a str],
    hint: Option<&'a str>,
}

#[track_caller]
fn assert_error(error: &ScenarioError, expected: Expected) {
    let shown = format!("{error}\n({error:?})");
    assert_eq!(error.file, Path::new(BAD_FILE), "wrong file in {shown}");
    assert_eq!(error.line, expected.line, "wrong line in {shown}");
    if let Some(column) = expected.column {
        assert_eq!(error.column, column, "wrong column in {shown}");
    }
    for needle in expected.message {
        assert!(
            error.message.contains(needle),
            "message lacks {needle:?}: {shown}"
        );
    }
    if let Some(needle) = expected.hint {
        let hint = error
            .hint
            .as_deref()
            .unwrap_or_else(|| panic!("no hint: {shown}"));
        assert!(hint.contains(needle), "hint lacks {needle:?}: {shown}");
    }
    // The one-line form a terminal shows starts with `file:line:column: message`.
    let located = format!("{BAD_FILE}:{}:{}: ", error.line, error.column);
    assert!(
        error.to_string().starts_with(&located),
        "display is not located: {shown}"
    );
}

// ---------------------------------------------------------------------------------------------
// Files that parse

#[test]
fn every_file_of_the_catalogue_parses() {
    let files = catalogue_files(&scenarios_dir()).expect("the scenarios directory is readable");
    assert!(
        !files.is_empty(),
        "no scenario files in {}",
        scenarios_dir().display()
    );
    for file in &files {
        let spec = load(file).unwrap_or_else(|error| panic!("{error}"));
        let stem = file.file_stem().and_then(|stem| stem.to_str()).unwrap();
        assert_eq!(spec.name, stem);
        assert_eq!(spec.file, *file);
        assert!(
            !spec.description.is_empty(),
            "{} has an empty description",
            file.display()
        );
    }
    let catalogue = load_catalogue(&scenarios_dir()).unwrap_or_else(|error| panic!("{error}"));
    let names: Vec<&str> = catalogue.iter().map(|spec| spec.name.as_str()).collect();
    let stems: Vec<&str> = files
        .iter()
        .map(|file| file.file_stem().and_then(|stem| stem.to_str()).unwrap())
        .collect();
    assert_eq!(names, stems, "the catalogue is every file, in name order");
}

#[test]
fn a_minimal_file_gets_the_documented_defaults() {
    let text = lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "only what is required""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "1m""#,
        /* 5 */ r#"liveness = "2m 30s""#,
    ]);
    let spec = parse(Path::new(BAD_FILE), &text).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(spec.topology.zones, ["az-1", "az-2", "az-3"]);
    assert_eq!(spec.topology.brokers_per_zone, 2);
    assert!(spec.topics.is_empty());
    assert_eq!(spec.workload.topic_churn_every, None);
    assert_eq!(spec.run.safety, Duration::from_secs(60));
    assert_eq!(spec.run.liveness, Duration::from_secs(150));
    assert_eq!(spec.run.startup_deadline, Duration::from_secs(20));
    assert!(spec.faults.is_empty());
    assert!(spec.random_faults.is_none());
    assert!(spec.swarm.is_none());
    assert!(!spec.buggify);
    assert_eq!(spec.expect.checkers, ["all"]);
    assert_eq!(spec.expect.active_controller_within, None);
    assert_eq!(spec.expect.stale_controller_steps_down_within, None);
    assert_eq!(spec.expect.broker_fenced_within, None);
    assert!(spec.expect.converge);
    assert!(spec.expect.topics_survive);
    assert!(!spec.expect.no_false_alarms);
    assert!(!spec.expect.no_fencing);
}

#[test]
fn topic_fault_and_random_fault_defaults() {
    let text = lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "defaults of the tables that have them""#,
        /*  3 */ r#"[[topics]]"#,
        /*  4 */ r#"name = "orders""#,
        /*  5 */ r#"partitions = 12"#,
        /*  6 */ r#"[run]"#,
        /*  7 */ r#"safety = "60s""#,
        /*  8 */ r#"liveness = "30s""#,
        /*  9 */ r#"[[faults]]"#,
        /* 10 */ r#"at = "10s""#,
        /* 11 */ r#"kind = "slow-link""#,
        /* 12 */ r#"target = "random-broker""#,
        /* 13 */ r#"to = "controllers""#,
        /* 14 */ r#"[random_faults]"#,
        /* 15 */ r#"kinds = ["kill", "disk-slow"]"#,
        /* 16 */ r#"mean_interval = "20s""#,
        /* 17 */ r#"duration_min = "1.5s""#,
        /* 18 */ r#"duration_max = "30s""#,
    ]);
    let spec = parse(Path::new(BAD_FILE), &text).unwrap_or_else(|error| panic!("{error}"));
    let topic = &spec.topics[0];
    assert_eq!((topic.replication_factor, topic.min_insync_replicas), (3, 2));
    let fault = &spec.faults[0];
    assert_eq!(
        fault.lasting, None,
        "no `for`: the fault lasts until the liveness phase"
    );
    assert_eq!(fault.action.target, Target::RandomBroker);
    assert_eq!(fault.action.to, Some(Target::Controllers));
    assert_eq!(fault.action.params.duration("delay"), Duration::from_secs(2));
    assert!(!fault.action.params.flag("one_way"));
    let random = spec.random_faults.expect("random faults");
    assert_eq!(random.duration_min, Duration::from_millis(1500));
    assert_eq!(random.budget.zones_affected_max, 1);
    assert_eq!(random.budget.nodes_down_max, 2);
    assert_eq!(random.params.duration("slow_link_delay"), Duration::from_secs(2));
    assert_eq!(random.params.number("disk_latency_multiplier"), 20.0);
}

/// The complete example of `scenarios/REFERENCE.md` (every ```toml block that is a whole file,
/// i.e. starts with `name = `) parses, so the page cannot drift from the parser.
#[test]
fn the_reference_example_parses() {
    let reference = scenarios_dir().join("REFERENCE.md");
    let page = std::fs::read_to_string(&reference).expect("scenarios/REFERENCE.md exists");
    let mut examples = 0;
    for block in page.split("```toml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let Some(name) = block
            .strip_prefix("name = \"")
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let file = PathBuf::from("scenarios").join(format!("{name}.toml"));
        let spec = parse(&file, block).unwrap_or_else(|error| panic!("REFERENCE.md example: {error}"));
        assert!(!spec.faults.is_empty());
        examples += 1;
    }
    assert!(examples >= 1, "REFERENCE.md has no complete ```toml example");
}

// ---------------------------------------------------------------------------------------------
// Malformed files: where and what

#[test]
fn unknown_top_level_key() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a typo at the top level""#,
        /* 3 */ r#"buggyfy = true"#,
        /* 4 */ r#"[run]"#,
        /* 5 */ r#"safety = "60s""#,
        /* 6 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 3,
            column: Some(1),
            message: &["unknown field `buggyfy`", "`buggify`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

/// TOML puts a key written after a table header into that table: a top-level key must come
/// before the first `[table]`.
#[test]
fn top_level_key_after_a_table_belongs_to_that_table() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "buggify written under [run]""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
        /* 6 */ r#"buggify = true"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 6,
            column: Some(1),
            message: &["unknown field `buggify`", "`startup_deadline`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn unknown_key_in_a_fault() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a typo in a fault""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"durtion = "5s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(1),
            message: &["unknown field `durtion`", "`for`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn wrong_type() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a count written as a word""#,
        /* 3 */ r#"[[topics]]"#,
        /* 4 */ r#"name = "orders""#,
        /* 5 */ r#"partitions = "twelve""#,
        /* 6 */ r#"[run]"#,
        /* 7 */ r#"safety = "60s""#,
        /* 8 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 5,
            column: Some(14),
            message: &["invalid type", "\"twelve\"", "u32"],
            hint: Some("counts are bare numbers"),
        },
    );
}

#[test]
fn duration_written_as_a_number() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a duration without quotes or unit""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = 60"#,
        /* 5 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 4,
            column: Some(10),
            message: &["invalid type", "60", "expected a string"],
            hint: Some("durations are strings like \"15s\""),
        },
    );
}

#[test]
fn bad_duration() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a duration in words""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "ten seconds""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    // The message itself shows the syntax, so there is no separate hint.
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(6),
            message: &["`ten seconds` is not a duration", "\"15s\""],
            hint: None,
        },
    );
}

#[test]
fn duration_without_unit() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a duration without its unit""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 5,
            column: Some(12),
            message: &["`30` is not a duration", "unit"],
            hint: None,
        },
    );
}

#[test]
fn unknown_fault_kind() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a misspelt fault kind""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kil""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(8),
            message: &["unknown fault kind `kil`", "did you mean `kill`?", "`disk-stall`"],
            hint: Some("fault kinds"),
        },
    );
}

#[test]
fn unknown_target() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a misspelt target""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "brokr-1""#,
    ]));
    // The message lists every target form, so there is no separate hint.
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["unknown target `brokr-1`", "\"random-broker\"", "\"zone:<name>\""],
            hint: None,
        },
    );
}

#[test]
fn the_successor_of_a_node_not_in_the_topology() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "the successor of a broker the default topology does not have""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "pause""#,
        /* 10 */ r#"target = "successor-of:broker-99""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["there is no node `broker-99`"],
            hint: Some("broker-1 to broker-"),
        },
    );
}

/// `leader-of:` and `follower-of:` name a partition of the scenario's `[[topics]]`: a topic it
/// lacks, a partition past its count, or text that names no partition is refused at the target.
#[test]
fn the_leader_of_a_partition_the_scenario_lacks() {
    let text = |target: &str| {
        lines(&[
            /*  1 */ r#"name = "bad""#,
            /*  2 */ r#"description = "a partition role the topics do not have""#,
            /*  3 */ r#"[run]"#,
            /*  4 */ r#"safety = "60s""#,
            /*  5 */ r#"liveness = "30s""#,
            /*  6 */ r#"[[topics]]"#,
            /*  7 */ r#"name = "orders""#,
            /*  8 */ r#"partitions = 4"#,
            /*  9 */ r#"replication_factor = 3"#,
            /* 10 */ r#"[[faults]]"#,
            /* 11 */ r#"at = "10s""#,
            /* 12 */ r#"kind = "pause""#,
            /* 13 */ &format!(r#"target = "{target}""#),
        ])
    };
    for target in ["leader-of:ordres-1", "follower-of:orders-4"] {
        assert_error(
            &rejected(&text(target)),
            Expected {
                line: 13,
                column: Some(10),
                message: &[target, "names no partition of the scenario's topics"],
                hint: Some("orders (partitions 0 to 3)"),
            },
        );
    }
    assert_error(
        &rejected(&text("leader-of:orders")),
        Expected {
            line: 13,
            column: None,
            message: &[
                "`leader-of:orders` does not name a partition",
                "leader-of:<topic>-<partition>",
            ],
            hint: None,
        },
    );
    let spec = parse(Path::new(BAD_FILE), &text("leader-of:orders-3")).expect("a valid target");
    assert_eq!(
        spec.faults[0].action.target,
        Target::LeaderOf("orders".to_string(), 3)
    );
}

#[test]
fn node_not_in_the_topology() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a broker the default topology does not have""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-99""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["there is no node `broker-99`"],
            hint: Some("controller-1 to controller-3 and broker-1 to broker-6"),
        },
    );
}

#[test]
fn zone_not_in_the_topology() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a zone the default topology does not have""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "lose-zone""#,
        /* 10 */ r#"target = "zone:az-9""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["there is no zone `az-9`"],
            hint: Some("\"az-1\", \"az-2\", \"az-3\""),
        },
    );
}

#[test]
fn zone_target_for_a_node_fault() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "kill aimed at a zone""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "zone:az-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `kill` needs a node", "`zone:az-1`"],
            hint: Some("a target is"),
        },
    );
}

#[test]
fn impossible_topology() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "four replicas over three zones""#,
        /* 3 */ r#"[[topics]]"#,
        /* 4 */ r#"name = "orders""#,
        /* 5 */ r#"partitions = 12"#,
        /* 6 */ r#"replication_factor = 4"#,
        /* 7 */ r#"[run]"#,
        /* 8 */ r#"safety = "60s""#,
        /* 9 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 6,
            column: Some(22),
            message: &[
                "impossible topology",
                "replication factor 4",
                "the topology has 3",
            ],
            hint: Some("lower replication_factor or add zones"),
        },
    );
}

/// Without `replication_factor` the default of 3 still needs three zones; the error then points
/// at the topic.
#[test]
fn impossible_topology_by_default() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "the default replication factor over two zones""#,
        /*  3 */ r#"[topology]"#,
        /*  4 */ r#"zones = ["az-1", "az-2"]"#,
        /*  5 */ r#"[[topics]]"#,
        /*  6 */ r#"name = "orders""#,
        /*  7 */ r#"partitions = 12"#,
        /*  8 */ r#"[run]"#,
        /*  9 */ r#"safety = "60s""#,
        /* 10 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 5,
            column: Some(1),
            message: &[
                "impossible topology",
                "replication factor 3",
                "the topology has 2",
            ],
            hint: Some("lower replication_factor"),
        },
    );
}

#[test]
fn controllers_not_one_per_zone() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "five controllers over three zones""#,
        /* 3 */ r#"[topology]"#,
        /* 4 */ r#"controllers = 5"#,
        /* 5 */ r#"[run]"#,
        /* 6 */ r#"safety = "60s""#,
        /* 7 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 4,
            column: Some(15),
            message: &["5 controllers", "3 zones"],
            hint: Some("one controller per zone"),
        },
    );
}

#[test]
fn min_insync_replicas_above_the_replication_factor() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "four in sync out of three""#,
        /*  3 */ r#"[[topics]]"#,
        /*  4 */ r#"name = "orders""#,
        /*  5 */ r#"partitions = 12"#,
        /*  6 */ r#"replication_factor = 3"#,
        /*  7 */ r#"min_insync_replicas = 4"#,
        /*  8 */ r#"[run]"#,
        /*  9 */ r#"safety = "60s""#,
        /* 10 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(23),
            message: &["min_insync_replicas 4", "replication factor 3"],
            hint: Some("min_insync_replicas 2"),
        },
    );
}

/// The error points at the fault's `at` value.
#[test]
fn fault_after_the_safety_phase() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a fault after the faults are over""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "90s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(6),
            message: &["fault at 90s", "after the safety phase ends (60s)"],
            hint: Some("the liveness phase heals everything"),
        },
    );
}

/// Which `[[faults]]` entry is wrong: the second one, at line 12.
#[test]
fn the_second_fault_is_located() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "the second fault is wrong""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#""#,
        /* 12 */ r#"[[faults]]"#,
        /* 13 */ r#"at = "60s""#,
        /* 14 */ r#"kind = "kill""#,
        /* 15 */ r#"target = "broker-2""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 13,
            column: Some(6),
            message: &["fault at 60s", "after the safety phase ends (60s)"],
            hint: Some("safety phase"),
        },
    );
}

#[test]
fn partition_without_to() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a partition with one side""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "partition""#,
        /* 10 */ r#"target = "controllers""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(8),
            message: &["fault `partition` needs a `to` target"],
            hint: Some("to = \"controllers\""),
        },
    );
}

#[test]
fn to_on_a_fault_with_one_end() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "kill with two ends""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"to = "broker-2""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(6),
            message: &["fault `kill` takes no `to` target"],
            hint: Some("`partition` and `slow-link`"),
        },
    );
}

/// The error points at the misplaced `delay` key.
#[test]
fn delay_on_a_fault_that_is_not_a_slow_link() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a delay on a kill""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"delay = "1s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(1),
            message: &["`delay` does not apply to fault `kill`"],
            hint: Some("`slow-link`"),
        },
    );
}

#[test]
fn one_way_on_a_fault_that_is_not_a_partition() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "one_way on an isolation""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "isolate""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"one_way = true"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(1),
            message: &["`one_way` does not apply to fault `isolate`"],
            hint: Some("`partition`"),
        },
    );
}

#[test]
fn latency_multiplier_below_one() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a disk made faster""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "disk-slow""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"latency_multiplier = 0.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(22),
            message: &["latency_multiplier must be a number of at least 1"],
            hint: Some("20 times slower"),
        },
    );
}

#[test]
fn unknown_checker() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a misspelt checker""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
        /* 6 */ r#""#,
        /* 7 */ r#"[expect]"#,
        /* 8 */ r#"checkers = ["all", "single-active-controler"]"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(12),
            message: &["unknown checker `single-active-controler`"],
            hint: Some("\"single-active-controller\""),
        },
    );
}

#[test]
fn name_does_not_match_the_file_stem() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "other""#,
        /* 2 */ r#"description = "named after another file""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 1,
            column: Some(8),
            message: &["named `other`", "its file is `bad.toml`"],
            hint: Some("name the scenario `bad`"),
        },
    );
}

#[test]
fn random_faults_may_draw_partitions() {
    let text = lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "random partitions""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["kill", "partition"]"#,
        /*  9 */ r#"mean_interval = "20s""#,
        /* 10 */ r#"duration_min = "5s""#,
        /* 11 */ r#"duration_max = "30s""#,
    ]);
    let spec = parse(Path::new(BAD_FILE), &text).expect("partition may be drawn at random");
    let kinds = &spec.random_faults.expect("read").kinds;
    assert!(kinds.iter().any(|kind| kind.is("partition")), "{kinds:?}");
}

#[test]
fn random_faults_with_durations_the_wrong_way_round() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "shortest longer than longest""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["kill"]"#,
        /*  9 */ r#"mean_interval = "20s""#,
        /* 10 */ r#"duration_min = "40s""#,
        /* 11 */ r#"duration_max = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(1),
            message: &["duration_min must not exceed duration_max"],
            hint: Some("mean_interval = \"20s\""),
        },
    );
}

#[test]
fn swarm_without_random_faults() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a swarm with nothing to draw from""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
        /* 6 */ r#""#,
        /* 7 */ r#"[swarm]"#,
        /* 8 */ r#"brokers_per_zone = [1, 3]"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(1),
            message: &["swarm", "[random_faults], which is missing"],
            hint: Some("add a [random_faults] table"),
        },
    );
}

#[test]
fn swarm_range_the_wrong_way_round() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a swarm range from 3 down to 1""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[random_faults]"#,
        /*  7 */ r#"kinds = ["kill"]"#,
        /*  8 */ r#"mean_interval = "20s""#,
        /*  9 */ r#"duration_min = "5s""#,
        /* 10 */ r#"duration_max = "30s""#,
        /* 11 */ r#"[swarm]"#,
        /* 12 */ r#"brokers_per_zone = [3, 1]"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 12,
            column: Some(20),
            message: &["brokers_per_zone range [3, 1]"],
            hint: Some("[smallest, largest]"),
        },
    );
}

/// serde reports a missing table as a missing "field", at the start of the file.
#[test]
fn missing_run_table() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "no [run] table""#,
        /* 3 */ r#"[[topics]]"#,
        /* 4 */ r#"name = "orders""#,
        /* 5 */ r#"partitions = 12"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 1,
            column: Some(1),
            message: &["missing field `run`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn missing_key_in_run() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "no safety phase""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 3,
            column: Some(1),
            message: &["missing field `safety`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn toml_syntax_error() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "an unclosed table header""#,
        /* 3 */ r#"[run"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 3,
            column: Some(5),
            message: &["invalid table header"],
            hint: None,
        },
    );
}

#[test]
fn unreadable_file_and_directory() {
    let missing = scenarios_dir().join("no-such-scenario.toml");
    let error = load(&missing).expect_err("no such file");
    assert_eq!(error.file, missing);
    assert_eq!((error.line, error.column), (0, 0));
    assert!(error.message.contains("cannot read the scenario file"), "{error}");
    assert!(
        error.to_string().starts_with(&format!("{}: ", missing.display())),
        "{error}"
    );

    let directory = scenarios_dir().join("no-such-directory");
    let error = load_catalogue(&directory).expect_err("no such directory");
    assert_eq!(error.file, directory);
    assert_eq!(error.line, 0);
    assert!(
        error.message.contains("cannot list the scenario directory"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// The command line: bad input exits with status 2 and says where

fn korasim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_korasim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the korasim binary runs")
}

/// A file in the temporary directory, removed when dropped.
struct TempScenario(PathBuf);

impl TempScenario {
    /// Writes `text_for(stem)` to a fresh `<stem>.toml`.
    fn new(text_for: impl FnOnce(&str) -> String) -> TempScenario {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let stem = format!("korasim-bad-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(format!("{stem}.toml"));
        std::fs::write(&path, text_for(&stem)).expect("the temporary directory is writable");
        TempScenario(path)
    }
}

impl Drop for TempScenario {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn cli_run_of_a_malformed_file_exits_2_naming_file_and_line() {
    let scenario = TempScenario::new(|stem| {
        lines(&[
            /*  1 */ &format!("name = \"{stem}\""),
            /*  2 */ r#"description = "a misspelt fault kind""#,
            /*  3 */ r#"[run]"#,
            /*  4 */ r#"safety = "60s""#,
            /*  5 */ r#"liveness = "30s""#,
            /*  6 */ r#""#,
            /*  7 */ r#"[[faults]]"#,
            /*  8 */ r#"at = "10s""#,
            /*  9 */ r#"kind = "kil""#,
            /* 10 */ r#"target = "broker-1""#,
        ])
    });
    let path = scenario.0.to_str().expect("a UTF-8 temporary path");
    let output = korasim(&["run", path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&format!("{path}:9:8: ")), "stderr: {stderr}");
    assert!(stderr.contains("unknown fault kind `kil`"), "stderr: {stderr}");
    assert!(stderr.contains("hint: "), "stderr: {stderr}");
}

#[test]
fn cli_gate_runs_its_seeds_in_worker_processes_and_rechecks_determinism() {
    let output = korasim(&[
        "gate",
        "--seeds",
        "3",
        "--jobs",
        "2",
        "--scenario",
        "steady-quorum",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("3 runs, 0 failed, 1 re-run for determinism (0 mismatched)"),
        "stdout: {stdout}"
    );
}

#[test]
fn cli_run_of_an_unknown_scenario_exits_2() {
    let output = korasim(&["run", "no-such-scenario"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("no-such-scenario"), "stderr: {stderr}");
}

#[test]
fn shutdown_aimed_at_a_controller() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a controller has no controlled shutdown""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "shutdown""#,
        /* 10 */ r#"target = "controller-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `shutdown` needs a broker"],
            hint: Some("use `kill` for a controller"),
        },
    );
}

#[test]
fn zero_fault_budget() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a budget that allows nothing""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["kill"]"#,
        /*  9 */ r#"mean_interval = "10s""#,
        /* 10 */ r#"duration_min = "1s""#,
        /* 11 */ r#"duration_max = "5s""#,
        /* 12 */ r#"zones_affected_max = 0"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 12,
            column: Some(22),
            message: &["zones_affected_max must be at least 1"],
            hint: Some("no fault at all"),
        },
    );
}

#[test]
fn fewer_zones_touched_than_zones_losing_copies_is_refused_at_the_key() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a second zone may lose copies but not be touched""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#""#,
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["kill", "pause"]"#,
        /*  9 */ r#"mean_interval = "10s""#,
        /* 10 */ r#"duration_min = "1s""#,
        /* 11 */ r#"duration_max = "5s""#,
        /* 12 */ r#"zones_affected_max = 2"#,
        /* 13 */ r#"zones_touched_max = 1"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 13,
            column: Some(21),
            message: &["zones_touched_max (1) must be at least zones_affected_max (2)"],
            hint: Some("also a zone a fault touches"),
        },
    );
}

#[test]
fn a_fixed_fault_on_a_node_a_small_swarm_does_not_have() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "broker-12 exists with 4 brokers per zone, not with 1""#,
        /*  3 */ r#"[topology]"#,
        /*  4 */ r#"brokers_per_zone = 4"#,
        /*  5 */ r#"[run]"#,
        /*  6 */ r#"safety = "60s""#,
        /*  7 */ r#"liveness = "30s""#,
        /*  8 */ r#"[[faults]]"#,
        /*  9 */ r#"at = "10s""#,
        /* 10 */ r#"kind = "kill""#,
        /* 11 */ r#"target = "broker-12""#,
        /* 12 */ r#"[random_faults]"#,
        /* 13 */ r#"kinds = ["kill"]"#,
        /* 14 */ r#"mean_interval = "10s""#,
        /* 15 */ r#"duration_min = "1s""#,
        /* 16 */ r#"duration_max = "5s""#,
        /* 17 */ r#"[swarm]"#,
        /* 18 */ r#"brokers_per_zone = [1, 2]"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(10),
            message: &["there is no node `broker-12`"],
            hint: Some("broker-1 to broker-3"),
        },
    );
}

#[test]
fn a_fault_that_lasts_no_time() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "for zero seconds""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[[faults]]"#,
        /*  7 */ r#"at = "10s""#,
        /*  8 */ r#"for = "0s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(7),
            message: &["must last longer than zero"],
            hint: Some("leave `for` out"),
        },
    );
}

#[test]
fn workload_topic_not_declared() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "produces to a topic nobody declared""#,
        /*  3 */ r#"[[topics]]"#,
        /*  4 */ r#"name = "orders""#,
        /*  5 */ r#"partitions = 3"#,
        /*  6 */ r#"[workload]"#,
        /*  7 */ r#"topic = "payments""#,
        /*  8 */ r#"[run]"#,
        /*  9 */ r#"safety = "60s""#,
        /* 10 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(9),
            message: &["workload topic `payments` is not one of the [[topics]]"],
            hint: Some("declared topics: orders"),
        },
    );
}

#[test]
fn workload_unknown_acks() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "acks written as Kafka's number""#,
        /*  3 */ r#"[[topics]]"#,
        /*  4 */ r#"name = "orders""#,
        /*  5 */ r#"partitions = 3"#,
        /*  6 */ r#"[workload]"#,
        /*  7 */ r#"topic = "orders""#,
        /*  8 */ r#"acks = "-1""#,
        /*  9 */ r#"[run]"#,
        /* 10 */ r#"safety = "60s""#,
        /* 11 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(8),
            message: &["acks `-1` is not known"],
            hint: Some(r#""all" (Kafka acks=-1)"#),
        },
    );
}

#[test]
fn workload_rate_must_be_positive() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a producer that produces nothing""#,
        /*  3 */ r#"[[topics]]"#,
        /*  4 */ r#"name = "orders""#,
        /*  5 */ r#"partitions = 3"#,
        /*  6 */ r#"[workload]"#,
        /*  7 */ r#"topic = "orders""#,
        /*  8 */ r#"records_per_second = 0.0"#,
        /*  9 */ r#"[run]"#,
        /* 10 */ r#"safety = "60s""#,
        /* 11 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(22),
            message: &["records_per_second must be above 0"],
            hint: Some("over all producers together"),
        },
    );
}

#[test]
fn producer_settings_without_a_topic() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a rate with nowhere to produce""#,
        /*  3 */ r#"[workload]"#,
        /*  4 */ r#"records_per_second = 100.0"#,
        /*  5 */ r#"[run]"#,
        /*  6 */ r#"safety = "60s""#,
        /*  7 */ r#"liveness = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 4,
            column: Some(22),
            message: &["`records_per_second` describes producers, but [workload] names no topic"],
            hint: Some("topic = \"NAME\""),
        },
    );
}

#[test]
fn a_data_workload_gets_the_documented_defaults() {
    let spec = parse(
        Path::new(BAD_FILE),
        &lines(&[
            r#"name = "bad""#,
            r#"description = "defaults""#,
            r#"[[topics]]"#,
            r#"name = "orders""#,
            r#"partitions = 6"#,
            r#"[workload]"#,
            r#"topic = "orders""#,
            r#"[run]"#,
            r#"safety = "60s""#,
            r#"liveness = "30s""#,
        ]),
    )
    .unwrap();
    let data = spec.workload.data.expect("a data workload");
    assert_eq!(data.topic, "orders");
    assert_eq!(data.partitions, 6);
    assert_eq!(data.records_per_second, 200.0);
    assert_eq!(data.producers, 1);
    assert_eq!(data.consumers, 1);
    assert_eq!(data.record_size_bytes, 100);
    assert!(data.idempotent);
    assert_eq!(data.acks, korasim_sim::workloads::Acks::All);
    assert_eq!(data.linger, Duration::from_millis(5));
}

// ---------------------------------------------------------------------------------------------
// Tiered storage: `[tiered_storage]`, `[object_store]` and the object-store faults

/// The lines every tiered example starts with (lines 1 to 5), `[tiered_storage]` on line 6.
const TIERED_HEAD: [&str; 6] = [
    /* 1 */ r#"name = "bad""#,
    /* 2 */ r#"description = "tiered storage""#,
    /* 3 */ r#"[run]"#,
    /* 4 */ r#"safety = "60s""#,
    /* 5 */ r#"liveness = "30s""#,
    /* 6 */ r#"[tiered_storage]"#,
];

/// `TIERED_HEAD` followed by `rest`, which starts on line 7.
fn tiered(rest: &[&str]) -> String {
    let all: Vec<&str> = TIERED_HEAD.iter().chain(rest).copied().collect();
    lines(&all)
}

#[test]
fn tiered_storage_gets_the_brokers_defaults_and_store_faults_theirs() {
    use korasim_core::broker::log::LogParams;
    use korasim_core::tier::TierParams;
    use korasim_sim::devices::object_store::ObjectStoreConfig;

    let spec = parse(
        Path::new(BAD_FILE),
        &tiered(&[
            /*  7 */ r#"[[faults]]"#,
            /*  8 */ r#"at = "5s""#,
            /*  9 */ r#"for = "10s""#,
            /* 10 */ r#"kind = "object-store-slowdown""#,
            /* 11 */ r#"[[faults]]"#,
            /* 12 */ r#"at = "5s""#,
            /* 13 */ r#"kind = "object-store-latency""#,
            /* 14 */ r#"target = "object-store""#,
            /* 15 */ r#"[[faults]]"#,
            /* 16 */ r#"at = "20s""#,
            /* 17 */ r#"kind = "corrupt-object""#,
            /* 18 */ r#"[[faults]]"#,
            /* 19 */ r#"at = "20s""#,
            /* 20 */ r#"for = "10s""#,
            /* 21 */ r#"kind = "lose-disk""#,
            /* 22 */ r#"target = "random-broker""#,
            /* 23 */ r#"[[faults]]"#,
            /* 24 */ r#"at = "30s""#,
            /* 25 */ r#"kind = "partition""#,
            /* 26 */ r#"target = "broker-1""#,
            /* 27 */ r#"to = "object-store""#,
        ]),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let tiered = spec.tiered_storage.expect("[tiered_storage] turns tiering on");
    let tier = TierParams::default();
    assert_eq!(tiered.segment_bytes_max, LogParams::default().segment_bytes_max);
    assert_eq!(tiered.local_retention_bytes, tier.local_retention_bytes);
    assert_eq!(tiered.local_retention, tier.local_retention);
    assert_eq!((tiered.retention_bytes, tiered.retention), (None, None));
    assert_eq!(tiered.orphan_grace, tier.orphan_grace);
    assert_eq!(tiered.orphan_check_interval, tier.orphan_check_interval);
    assert_eq!(tiered.upload_attempts_max, tier.upload_attempts_max);
    assert_eq!(tiered.tier_partition_count, tier.tier_partition_count);
    assert_eq!(tiered.object_store, ObjectStoreConfig::default());
    let kinds: Vec<&str> = spec.faults.iter().map(|fault| fault.action.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "object-store-slowdown",
            "object-store-latency",
            "corrupt-object",
            "lose-disk",
            "partition"
        ]
    );
    assert_eq!(spec.faults[0].action.target, Target::ObjectStore);
    assert_eq!(spec.faults[0].action.params.number("error_rate"), 0.8);
    assert_eq!(spec.faults[1].action.params.number("latency_multiplier"), 10.0);
    assert_eq!(spec.faults[2].lasting, None);
    assert_eq!(spec.faults[4].action.to, Some(Target::ObjectStore));
}

#[test]
fn tiered_storage_and_object_store_keys_are_read() {
    let spec = parse(
        Path::new(BAD_FILE),
        &tiered(&[
            /*  7 */ r#"segment_bytes = 65536"#,
            /*  8 */ r#"local_retention_bytes = 0"#,
            /*  9 */ r#"local_retention = "30s""#,
            /* 10 */ r#"retention_bytes = 10000000"#,
            /* 11 */ r#"retention = "10m""#,
            /* 12 */ r#"orphan_grace = "45s""#,
            /* 13 */ r#"orphan_check_interval = "15s""#,
            /* 14 */ r#"upload_attempts_max = 3"#,
            /* 15 */ r#"tier_partitions = 5"#,
            /* 16 */ r#"[object_store]"#,
            /* 17 */ r#"get_latency_median = "20ms""#,
            /* 18 */ r#"get_latency_sigma = 0.5"#,
            /* 19 */ r#"put_latency_median = "100ms""#,
            /* 20 */ r#"put_latency_sigma = 0.3"#,
            /* 21 */ r#"transfer_bytes_per_second = 50000000"#,
            /* 22 */ r#"writes_per_second_per_prefix = 10"#,
            /* 23 */ r#"reads_per_second_per_prefix = 20.5"#,
            /* 24 */ r#"write_burst_requests = 5"#,
            /* 25 */ r#"read_burst_requests = 10"#,
            /* 26 */ r#"internal_error_rate = 0.01"#,
            /* 27 */ r#"timeout_rate = 0"#,
            /* 28 */ r#"reset_rate = 0.5"#,
            /* 29 */ r#"multipart_threshold_bytes = 1024"#,
            /* 30 */ r#"multipart_abort_after = "2m""#,
        ]),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let tiered = spec.tiered_storage.expect("tiered");
    assert_eq!(tiered.segment_bytes_max, 65536);
    assert_eq!(tiered.local_retention_bytes, 0);
    assert_eq!(tiered.local_retention, Duration::from_secs(30));
    assert_eq!(tiered.retention_bytes, Some(10_000_000));
    assert_eq!(tiered.retention, Some(Duration::from_secs(600)));
    assert_eq!(tiered.orphan_grace, Duration::from_secs(45));
    assert_eq!(tiered.orphan_check_interval, Duration::from_secs(15));
    assert_eq!(tiered.upload_attempts_max, 3);
    assert_eq!(tiered.tier_partition_count, 5);
    let store = tiered.object_store;
    assert_eq!(store.get_latency_median, Duration::from_millis(20));
    assert_eq!(store.get_latency_sigma, 0.5);
    assert_eq!(store.put_latency_median, Duration::from_millis(100));
    assert_eq!(store.put_latency_sigma, 0.3);
    assert_eq!(store.transfer_bytes_per_second, 50_000_000.0);
    assert_eq!(store.writes_per_second_per_prefix, 10.0);
    assert_eq!(store.reads_per_second_per_prefix, 20.5);
    assert_eq!(
        (store.write_burst_requests, store.read_burst_requests),
        (5.0, 10.0)
    );
    assert_eq!(
        (store.internal_error_rate, store.timeout_rate, store.reset_rate),
        (0.01, 0.0, 0.5)
    );
    assert_eq!(store.multipart_threshold_bytes, 1024);
    assert_eq!(store.multipart_abort_after, Duration::from_secs(120));
}

#[test]
fn unknown_key_in_tiered_storage() {
    let error = rejected(&tiered(&[/* 7 */ r#"segment_byte = 65536"#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(1),
            message: &["unknown field `segment_byte`", "`segment_bytes`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn segment_bytes_of_the_wrong_type() {
    let error = rejected(&tiered(&[/* 7 */ r#"segment_bytes = "1MiB""#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(17),
            message: &["invalid type: string \"1MiB\""],
            hint: None,
        },
    );
}

#[test]
fn segment_bytes_too_small() {
    let error = rejected(&tiered(&[/* 7 */ r#"segment_bytes = 100"#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(17),
            message: &["segment_bytes must be 1024 to 1073741824"],
            hint: Some("1048576 for 1 MiB"),
        },
    );
}

#[test]
fn zero_orphan_grace() {
    let error = rejected(&tiered(&[/* 7 */ r#"orphan_grace = "0s""#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(16),
            message: &["orphan_grace must be longer than zero"],
            hint: Some("an upload's whole life"),
        },
    );
}

#[test]
fn zero_upload_attempts() {
    let error = rejected(&tiered(&[/* 7 */ r#"upload_attempts_max = 0"#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(23),
            message: &["upload_attempts_max must be 1 to 100"],
            hint: None,
        },
    );
}

#[test]
fn zero_retention_bytes() {
    let error = rejected(&tiered(&[/* 7 */ r#"retention_bytes = 0"#]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(19),
            message: &["retention_bytes must be at least 1"],
            hint: Some("leave `retention_bytes` out"),
        },
    );
}

#[test]
fn object_store_fault_without_tiered_storage() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "an outage of a store that is not there""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[[faults]]"#,
        /*  7 */ r#"at = "10s""#,
        /*  8 */ r#"kind = "object-store-outage""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(8),
            message: &[
                "fault `object-store-outage` needs the object store",
                "no [tiered_storage] table",
            ],
            hint: Some("add a [tiered_storage] table"),
        },
    );
}

#[test]
fn object_store_as_to_without_tiered_storage() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a partition from a store that is not there""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[[faults]]"#,
        /*  7 */ r#"at = "10s""#,
        /*  8 */ r#"kind = "partition""#,
        /*  9 */ r#"target = "broker-1""#,
        /* 10 */ r#"to = "object-store""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(6),
            message: &["there is no object store"],
            hint: Some("add a [tiered_storage] table"),
        },
    );
}

#[test]
fn object_store_table_without_tiered_storage() {
    let error = rejected(&lines(&[
        /* 1 */ r#"name = "bad""#,
        /* 2 */ r#"description = "a store model with nothing to use it""#,
        /* 3 */ r#"[run]"#,
        /* 4 */ r#"safety = "60s""#,
        /* 5 */ r#"liveness = "30s""#,
        /* 6 */ r#"[object_store]"#,
        /* 7 */ r#"timeout_rate = 0.01"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 6,
            column: Some(1),
            message: &["[object_store]", "no [tiered_storage] table"],
            hint: Some("add a [tiered_storage] table"),
        },
    );
}

#[test]
fn object_store_error_rates_above_one() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[object_store]"#,
        /*  8 */ r#"internal_error_rate = 0.5"#,
        /*  9 */ r#"timeout_rate = 0.5"#,
        /* 10 */ r#"reset_rate = 0.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(1),
            message: &["add up to 1.5, more than 1"],
            hint: Some("together they are a probability"),
        },
    );
}

#[test]
fn object_store_sigma_out_of_range() {
    let error = rejected(&tiered(&[
        /* 7 */ r#"[object_store]"#,
        /* 8 */ r#"put_latency_sigma = -1"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(21),
            message: &["put_latency_sigma must be a number from 0 to 3"],
            hint: Some("p99"),
        },
    );
}

#[test]
fn unknown_key_in_object_store() {
    let error = rejected(&tiered(&[
        /* 7 */ r#"[object_store]"#,
        /* 8 */ r#"latency_median = "30ms""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(1),
            message: &["unknown field `latency_median`", "`get_latency_median`"],
            hint: Some("REFERENCE.md"),
        },
    );
}

#[test]
fn lose_disk_aimed_at_a_controller() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "lose-disk""#,
        /* 10 */ r#"target = "controller-2""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `lose-disk` needs a broker, got `controller-2`"],
            hint: Some("use `kill` for a controller"),
        },
    );
}

#[test]
fn corrupt_object_lasting_a_while() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"for = "5s""#,
        /* 10 */ r#"kind = "corrupt-object""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(7),
            message: &["fault `corrupt-object` happens at one instant and takes no `for`"],
            hint: Some("remove `for`"),
        },
    );
}

#[test]
fn error_rate_on_a_fault_that_is_not_a_slowdown() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "object-store-outage""#,
        /* 10 */ r#"error_rate = 0.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(1),
            message: &["`error_rate` does not apply to fault `object-store-outage`"],
            hint: Some("`object-store-slowdown`"),
        },
    );
}

#[test]
fn error_rate_above_one() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "object-store-slowdown""#,
        /* 10 */ r#"error_rate = 1.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(14),
            message: &["error_rate must be a number above 0 and at most 1"],
            hint: Some("503 SlowDown"),
        },
    );
}

#[test]
fn object_store_latency_below_one() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "object-store-latency""#,
        /* 10 */ r#"latency_multiplier = 0.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(22),
            message: &["latency_multiplier must be a number of at least 1"],
            hint: Some("object-store request 10 times slower"),
        },
    );
}

#[test]
fn object_store_fault_aimed_at_a_node() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "object-store-outage""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `object-store-outage` needs the object store, got `broker-1`"],
            hint: Some("leave `target` out"),
        },
    );
}

#[test]
fn node_fault_aimed_at_the_object_store() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
        /* 10 */ r#"target = "object-store""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `kill` needs a node", "got `object-store`"],
            hint: Some("object-store-outage"),
        },
    );
}

#[test]
fn node_fault_without_a_target() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "kill""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(8),
            message: &["fault `kill` needs a `target`"],
            hint: Some("a target is"),
        },
    );
}

#[test]
fn random_faults_with_corrupt_object() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["object-store-outage", "corrupt-object"]"#,
        /*  9 */ r#"mean_interval = "20s""#,
        /* 10 */ r#"duration_min = "5s""#,
        /* 11 */ r#"duration_max = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(9),
            message: &["`corrupt-object` cannot be drawn at random"],
            hint: Some("fixed [[faults]] entry"),
        },
    );
}

#[test]
fn random_object_store_faults_without_tiered_storage() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "random storms of a store that is not there""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[random_faults]"#,
        /*  7 */ r#"kinds = ["kill", "object-store-slowdown"]"#,
        /*  8 */ r#"mean_interval = "20s""#,
        /*  9 */ r#"duration_min = "5s""#,
        /* 10 */ r#"duration_max = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(9),
            message: &["fault `object-store-slowdown` needs the object store"],
            hint: Some("add a [tiered_storage] table"),
        },
    );
}

#[test]
fn random_object_store_error_rate_out_of_range() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["object-store-slowdown", "lose-disk"]"#,
        /*  9 */ r#"mean_interval = "20s""#,
        /* 10 */ r#"duration_min = "5s""#,
        /* 11 */ r#"duration_max = "30s""#,
        /* 12 */ r#"object_store_error_rate = 0"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 12,
            column: Some(27),
            message: &["object_store_error_rate must be a number above 0 and at most 1"],
            hint: None,
        },
    );
}

#[test]
fn tiered_storage_expectation_without_tiered_storage() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a backlog that cannot exist""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[expect]"#,
        /*  7 */ r#"upload_backlog_drains_within = "60s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(32),
            message: &[
                "`upload_backlog_drains_within` judges tiered storage",
                "no [tiered_storage] table",
            ],
            hint: Some("add a [tiered_storage] table"),
        },
    );
}

#[test]
fn tiered_storage_expectations_are_read() {
    let spec = parse(
        Path::new(BAD_FILE),
        &tiered(&[
            /*  7 */ r#"[expect]"#,
            /*  8 */ r#"upload_backlog_drains_within = "90s""#,
            /*  9 */ r#"local_bytes_rise_and_fall = true"#,
        ]),
    )
    .expect("a valid file");
    assert_eq!(
        spec.expect.upload_backlog_drains_within,
        Some(Duration::from_secs(90))
    );
    assert!(spec.expect.local_bytes_rise_and_fall);
}

#[test]
fn flip_bit_aimed_at_a_controller() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "flip-bit""#,
        /* 10 */ r#"target = "controller-2""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `flip-bit` needs a broker, got `controller-2`"],
            hint: Some("only a broker holds partition logs"),
        },
    );
}

#[test]
fn trim_log_prefix_lasting_a_while() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"for = "5s""#,
        /* 10 */ r#"kind = "trim-log-prefix""#,
        /* 11 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(7),
            message: &["fault `trim-log-prefix` happens at one instant and takes no `for`"],
            hint: Some("remove `for`"),
        },
    );
}

#[test]
fn random_faults_with_trim_log_prefix() {
    let error = rejected(&tiered(&[
        /*  7 */ r#"[random_faults]"#,
        /*  8 */ r#"kinds = ["kill", "trim-log-prefix"]"#,
        /*  9 */ r#"mean_interval = "20s""#,
        /* 10 */ r#"duration_min = "5s""#,
        /* 11 */ r#"duration_max = "30s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 8,
            column: Some(9),
            message: &["`trim-log-prefix` cannot be drawn at random"],
            hint: Some("audit_detects_within"),
        },
    );
}

#[test]
fn audit_expectations_are_read() {
    let spec = parse(
        Path::new(BAD_FILE),
        &tiered(&[
            /*  7 */ r#"[[faults]]"#,
            /*  8 */ r#"at = "10s""#,
            /*  9 */ r#"kind = "flip-bit""#,
            /* 10 */ r#"target = "random-broker""#,
            /* 11 */ r#"[expect]"#,
            /* 12 */ r#"audit_detects_within = "35s""#,
            /* 13 */ r#"repaired_within = "1m""#,
        ]),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        spec.expect.audit_detects_within,
        Some(std::time::Duration::from_secs(35))
    );
    assert_eq!(
        spec.expect.repaired_within,
        Some(std::time::Duration::from_secs(60))
    );
}

#[test]
fn audit_expectation_without_a_corruption_fault() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "an audit deadline with nothing to detect""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[expect]"#,
        /*  7 */ r#"repaired_within = "60s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(19),
            message: &["`repaired_within` judges corruption faults, but the scenario has none"],
            hint: Some("flip-bit, trim-log-prefix, trim-follower-log-prefix or corrupt-object"),
        },
    );
}

#[test]
fn a_duration_longer_than_a_year() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a deadline too far away""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[expect]"#,
        /*  7 */ r#"broker_fenced_within = "18446744073709551615s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(24),
            message: &["longer than a scenario can use (at most 365 days)"],
            hint: None,
        },
    );
}

#[test]
fn detector_expectation_without_a_detector() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a demotion nobody can decide""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[expect]"#,
        /*  7 */ r#"demoted_within = "60s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 7,
            column: Some(18),
            message: &[
                "`demoted_within` judges the degradation detector",
                "no [detector] table",
            ],
            hint: Some("add a [detector] table"),
        },
    );
}

#[test]
fn the_clients_are_only_the_far_end_of_a_cut() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "killing the clients""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[[faults]]"#,
        /*  7 */ r#"at = "10s""#,
        /*  8 */ r#"kind = "kill""#,
        /*  9 */ r#"target = "clients""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 9,
            column: Some(10),
            message: &["fault `kill` cannot target the clients"],
            hint: Some("only the `to` of a partition or slow-link"),
        },
    );
}

#[test]
fn a_detector_table_is_read_with_its_defaults() {
    let spec = parse(
        Path::new(BAD_FILE),
        &lines(&[
            /*  1 */ r#"name = "bad""#,
            /*  2 */ r#"description = "a detector with one key set""#,
            /*  3 */ r#"[run]"#,
            /*  4 */ r#"safety = "60s""#,
            /*  5 */ r#"liveness = "30s""#,
            /*  6 */ r#"[detector]"#,
            /*  7 */ r#"slow_rounds = 5"#,
            /*  8 */ r#"[expect]"#,
            /*  9 */ r#"mitigations_max = 0"#,
        ]),
    )
    .expect("a valid file");
    let detector = spec.detector.expect("the detector runs");
    assert_eq!(detector.slow_rounds, 5);
    assert_eq!(detector.no_progress_rounds, 3);
    assert_eq!(spec.expect.mitigations_max, Some(0));
}

/// The kinds added as modules behind `FaultKindModule` read their keys and targets like the
/// others: `crash-controllers` aims at every controller unless told otherwise and refuses a
/// broker; `disk-errors` refuses a controller and reads its own `error_rate`; `pause` takes any
/// node and no key of its own.
#[test]
fn crash_controllers_pause_and_disk_errors_parse_strictly() {
    let header = [
        r#"name = "bad""#,
        r#"description = "the new kinds""#,
        r#"[run]"#,
        r#"safety = "60s""#,
        r#"liveness = "30s""#,
        r#""#,
    ];
    let with = |faults: &[&str]| {
        let mut text: Vec<&str> = header.to_vec();
        text.extend_from_slice(faults);
        lines(&text)
    };
    let spec = parse(
        Path::new(BAD_FILE),
        &with(&[
            r#"[[faults]]"#,
            r#"at = "10s""#,
            r#"for = "3s""#,
            r#"kind = "crash-controllers""#,
            r#"[[faults]]"#,
            r#"at = "20s""#,
            r#"for = "3s""#,
            r#"kind = "disk-errors""#,
            r#"target = "broker-2""#,
            r#"error_rate = 0.5"#,
            r#"[[faults]]"#,
            r#"at = "30s""#,
            r#"for = "3s""#,
            r#"kind = "pause""#,
            r#"target = "controller-1""#,
        ]),
    )
    .expect("valid");
    assert_eq!(spec.faults[0].action.target, Target::Controllers);
    assert_eq!(spec.faults[1].action.params.number("error_rate"), 0.5);
    assert!(spec.faults[2].action.kind.is("pause"));

    let error = rejected(&with(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "crash-controllers""#,
        /* 10 */ r#"target = "broker-1""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `crash-controllers` needs controllers, got `broker-1`"],
            hint: Some("use `kill` for a broker"),
        },
    );
    let error = rejected(&with(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "disk-errors""#,
        /* 10 */ r#"target = "controller-2""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 10,
            column: Some(10),
            message: &["fault `disk-errors` needs a broker, got `controller-2`"],
            hint: Some("Raft log"),
        },
    );
    let error = rejected(&with(&[
        /*  7 */ r#"[[faults]]"#,
        /*  8 */ r#"at = "10s""#,
        /*  9 */ r#"kind = "pause""#,
        /* 10 */ r#"target = "broker-1""#,
        /* 11 */ r#"error_rate = 0.5"#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(1),
            message: &["`error_rate` does not apply to fault `pause`"],
            hint: Some("`object-store-slowdown` and `disk-errors`"),
        },
    );
}

/// A key that no fault kind reads, in `[random_faults]`, is an error at the key with the
/// closest known key as a hint.
#[test]
fn unknown_random_faults_key_names_the_closest() {
    let error = rejected(&lines(&[
        /*  1 */ r#"name = "bad""#,
        /*  2 */ r#"description = "a typo""#,
        /*  3 */ r#"[run]"#,
        /*  4 */ r#"safety = "60s""#,
        /*  5 */ r#"liveness = "30s""#,
        /*  6 */ r#"[random_faults]"#,
        /*  7 */ r#"kinds = ["kill"]"#,
        /*  8 */ r#"mean_interval = "10s""#,
        /*  9 */ r#"duration_min = "1s""#,
        /* 10 */ r#"duration_max = "5s""#,
        /* 11 */ r#"slow_link_dealy = "1s""#,
    ]));
    assert_error(
        &error,
        Expected {
            line: 11,
            column: Some(1),
            message: &["unknown field `slow_link_dealy`"],
            hint: Some("did you mean `slow_link_delay`?"),
        },
    );
}
