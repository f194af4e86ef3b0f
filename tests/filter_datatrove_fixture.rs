//! datatrove 0.10.1's verdicts on real web documents (tests/fixtures/filter/datatrove_verdicts.jsonl,
//! written by scripts/gen_filter_fixture.py; see the README there) must be reproduced exactly:
//! keep/drop and the reason code, for each of the four filters and for C4 as the FineWeb
//! pipeline configures it.

use datasieve::filter::{
    c4, fineweb, gopher_quality, gopher_repetition, judge_all, FilterConfig, QualityFilters,
};

const FIXTURE: &str = include_str!("fixtures/filter/datatrove_verdicts.jsonl");

fn show(code: Option<&str>) -> String {
    code.unwrap_or("keep").to_string()
}

#[test]
fn identical_verdicts_on_real_documents() {
    let defaults = QualityFilters::new(FilterConfig::datatrove_defaults()).unwrap();
    let fineweb_style = QualityFilters::new(FilterConfig::fineweb_style()).unwrap();
    let mut documents = 0;
    let mut mismatches = Vec::new();
    let mut reasons_seen = std::collections::BTreeSet::new();
    for line in FIXTURE.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = record["text"].as_str().unwrap();
        let source = record["source"].as_str().unwrap();
        let row = defaults.measure_all(text);
        let c4_fineweb_row = fineweb_style.measure_all(text);
        let config = defaults.config();
        let ours = [
            (
                "gopher_quality",
                show(gopher_quality::judge(
                    row.gopher_quality.as_ref().unwrap(),
                    config.gopher_quality.as_ref().unwrap(),
                )),
            ),
            (
                "gopher_repetition",
                show(gopher_repetition::judge(
                    row.gopher_repetition.as_ref().unwrap(),
                    config.gopher_repetition.as_ref().unwrap(),
                )),
            ),
            (
                "c4",
                show(c4::judge(
                    row.c4.as_ref().unwrap(),
                    config.c4.as_ref().unwrap(),
                )),
            ),
            (
                "c4_fineweb_style",
                show(c4::judge(
                    c4_fineweb_row.c4.as_ref().unwrap(),
                    fineweb_style.config().c4.as_ref().unwrap(),
                )),
            ),
            (
                "fineweb",
                show(fineweb::judge(
                    row.fineweb.as_ref().unwrap(),
                    config.fineweb.as_ref().unwrap(),
                )),
            ),
        ];
        for (name, verdict) in &ours {
            let expected = record[*name].as_str().unwrap();
            reasons_seen.insert(expected.to_string());
            if verdict != expected {
                mismatches.push(format!(
                    "{source} {name}: datatrove {expected}, datasieve {verdict}"
                ));
            }
        }
        // judge_all reports exactly the failing filters' codes, in filter order.
        let expected_all: Vec<&str> = ["gopher_quality", "gopher_repetition", "c4", "fineweb"]
            .iter()
            .map(|n| record[*n].as_str().unwrap())
            .filter(|code| *code != "keep")
            .collect();
        if judge_all(&row, config) == expected_all {
            documents += 1;
        } else {
            mismatches.push(format!(
                "{source} judge_all: {:?} vs {expected_all:?}",
                judge_all(&row, config)
            ));
        }
    }
    assert!(documents >= 150, "fixture too small: {documents}");
    // The fixture covers keeps and a spread of reasons from every filter.
    for code in [
        "keep",
        "gopher_short_doc",
        "gopher_below_alpha_threshold",
        "dup_line_frac",
        "top_2_gram",
        "duplicated_5_n_grams",
        "too_few_sentences",
        "curly_bracket",
        "line_punct_ratio",
        "char_dup_ratio",
        "short_line_ratio",
    ] {
        assert!(reasons_seen.contains(code), "fixture lacks {code}");
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn c4_rewrite_keeps_only_surviving_lines() {
    let filters = QualityFilters::new(FilterConfig::datatrove_defaults()).unwrap();
    let text = "Home | About\nThis page uses cookies to improve your experience.\nThe river floods every spring, and the town has learned to live with it.[3]\nShare\n";
    assert_eq!(
        filters.c4_rewrite(text).as_deref(),
        Some("The river floods every spring, and the town has learned to live with it.")
    );
    let without_c4 = QualityFilters::new(FilterConfig {
        c4: None,
        ..FilterConfig::datatrove_defaults()
    })
    .unwrap();
    assert_eq!(without_c4.c4_rewrite(text), None);
}

/// C4 counts a kept line's sentences from the document's tokens when the document was tokenized
/// anyway (Gopher and FineWeb need its words); that must give exactly the counts of tokenizing
/// every line on its own, on real documents and on line-break and spacing edge cases.
#[test]
fn c4_sentence_counts_from_document_tokens_equal_per_line_counts() {
    use datasieve::text::tokenizer::spacy_tokens;
    let filter = c4::C4::new(c4::C4Config::default());
    let every_line = c4::C4::new(c4::C4Config {
        filter_no_terminal_punct: false,
        min_words_per_line: 0,
        ..c4::C4Config::default()
    });
    let edge_cases = [
        "First one here. Second one here!\r\nThird line is here. And a fourth?\rFifth. Sixth.",
        "Line with  double  spaces. Next sentence.\u{2028}After a separator. Yes it is.",
        "A citation here.[1] Then more text. [edit] Done now.\n\nNew paragraph. Two.",
        "Emoticon at the end :)\n:( starts this line. Then another one.",
        "He said “stop.” Then left?! Ok then.\u{85}Mr. Smith went home. Dr. Who came.",
        "   Indented line. With two sentences.   \n\t\tTabbed line. Also two.\x0b\x0cform feed. x.",
    ];
    let documents = FIXTURE
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .chain(edge_cases.iter().map(|s| s.to_string()));
    let mut checked = 0;
    for text in documents {
        let tokens = spacy_tokens(&text);
        for f in [&filter, &every_line] {
            let per_line = f.measure(&text);
            let from_tokens = f.measure_with_tokens(&text, &tokens);
            assert_eq!(per_line.sentences, from_tokens.sentences, "{text:?}");
            assert_eq!(per_line.kept_lines, from_tokens.kept_lines, "{text:?}");
        }
        checked += 1;
    }
    assert!(checked > 220, "{checked} documents");
}
