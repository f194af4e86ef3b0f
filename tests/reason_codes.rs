//! The README's reason-code table and the code agree: every code a decision can carry is
//! documented, and every documented code exists.

use std::collections::BTreeSet;

fn documented() -> BTreeSet<String> {
    let readme = include_str!("../README.md");
    let table = readme
        .split("### Reason codes")
        .nth(1)
        .expect("README has the section");
    let table = table.split("\n## ").next().unwrap();
    let mut codes = BTreeSet::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = line.split('|').nth(1).unwrap();
        for code in first_cell.split('`').skip(1).step_by(2) {
            codes.insert(code.to_string());
        }
    }
    codes
}

fn matches(code: &str, documented: &BTreeSet<String>) -> bool {
    if documented.contains(code) {
        return true;
    }
    let pattern = |prefix: &str, suffix: &str| {
        code.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(suffix))
            .is_some_and(|n| n.parse::<u32>().is_ok())
    };
    (pattern("top_", "_gram") && documented.contains("top_{n}_gram"))
        || (pattern("duplicated_", "_n_grams") && documented.contains("duplicated_{n}_n_grams"))
}

#[test]
fn every_code_is_documented() {
    let documented = documented();
    let missing: Vec<_> = datasieve::reasons::all_codes()
        .into_iter()
        .filter(|c| !matches(c, &documented))
        .collect();
    assert!(
        missing.is_empty(),
        "codes missing from README's table: {missing:?}"
    );
}

#[test]
fn every_documented_code_exists() {
    let all: BTreeSet<&str> = datasieve::reasons::all_codes().into_iter().collect();
    let stale: Vec<_> = documented()
        .into_iter()
        .filter(|c| !c.contains('{') && !all.contains(c.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "README documents codes the code never emits: {stale:?}"
    );
}
