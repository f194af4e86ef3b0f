//! datatrove's default English word tokenizer, reproduced exactly.
//!
//! datatrove 0.10.1 `load_word_tokenizer("en")` is `SpaCyTokenizer("en")`: spaCy 3.8's blank
//! English pipeline (rule-based tokenizer, no model) plus the `sentencizer`. This module ports
//! the tokenizer algorithm of `spacy/tokenizer.pyx` (`_tokenize_affixes`, `_split_affixes`,
//! `_attach_tokens`, `_apply_special_cases`) and the English rules (prefixes, suffixes, infixes,
//! `URL_MATCH`, tokenizer exceptions). The rule data is generated from the installed spaCy by
//! `scripts/gen_text_tables.py` into [`super::tables`].
//!
//! Every token is a sub-slice of the input: spaCy's exceptions only split text (their pieces
//! concatenate back to the original), so tokens are reported as byte ranges of the input.
//! Offsets are UTF-8 byte offsets (Python reports code-point offsets).

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::charclass::{is_py_space, py_strip};
use super::tables::{
    ALPHA, ALPHA_OR_DIGIT, ALPHA_UPPER, ICONS, INFIX_DOT_AFTER, INFIX_DOT_BEFORE, MATCHER_PATTERNS,
    PREFIX_RULES, SPECIAL_CASES, SUFFIX_CURRENCIES, SUFFIX_DOT_AFTER, SUFFIX_LITERALS, SUFFIX_UNITS,
    URL_HOST_PATTERN, URL_IP_PATTERN,
};

/// One alternative of spaCy's English prefix regex, tried in table order (the regex is an
/// ordered alternation anchored at the start, so the first alternative that matches wins).
pub(crate) enum PrefixRule {
    /// A fixed string.
    Literal(&'static str),
    /// `\.\.+`: two or more full stops.
    Dots,
    /// One character of spaCy's symbol class (LIST_ICONS).
    Icon,
    /// `\+(?![0-9])`: a plus sign not followed by an ASCII digit.
    PlusNotBeforeDigit,
}

/// All tokens of `text` as spaCy's English tokenizer produces them, including the tokens made of
/// white space (any run of white space other than the single ASCII space that follows a token).
///
/// The ranges are byte ranges into `text`, in order, non-overlapping.
pub fn spacy_tokens(text: &str) -> Vec<Range<usize>> {
    let mut tokens: Vec<Range<usize>> = Vec::with_capacity(text.len() / 4 + 1);
    let mut chars = text.char_indices();
    let Some((_, first)) = chars.next() else {
        return tokens;
    };
    // Split into maximal runs of white space / non-white space; a single ' ' directly after a
    // non-space run is the token's trailing space and not a token itself.
    let mut in_ws = is_py_space(first);
    let mut start = 0usize;
    for (i, c) in text.char_indices() {
        if is_py_space(c) != in_ws {
            if start < i {
                tokenize_chunk(text, start, i, &mut tokens);
            }
            start = if c == ' ' { i + 1 } else { i };
            in_ws = !in_ws;
        }
    }
    if start < text.len() {
        tokenize_chunk(text, start, text.len(), &mut tokens);
    }
    apply_matched_special_cases(text, &mut tokens);
    tokens
}

/// datatrove's `SpaCyTokenizer("en").word_tokenize`: the spaCy tokens, `strip()`ped, without the
/// ones that are empty after stripping (the white-space tokens).
pub fn word_tokenize(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for_each_word(text, |w| words.push(w));
    words
}

/// Calls `f` with each word of [`word_tokenize`] in order, without collecting them.
pub fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    for range in spacy_tokens(text) {
        let token = py_strip(&text[range]);
        if !token.is_empty() {
            f(token);
        }
    }
}

/// The number of words [`word_tokenize`] returns.
pub fn count_words(text: &str) -> usize {
    let mut n = 0;
    for_each_word(text, |_| n += 1);
    n
}

/// datatrove's `split_into_words(text, "en")` (the same as [`word_tokenize`]).
pub fn split_into_words(text: &str) -> Vec<&str> {
    word_tokenize(text)
}

/// The pieces of a tokenizer exception (special case) whose text is exactly `s`.
pub(crate) fn special_case(s: &str) -> Option<&'static [&'static str]> {
    SPECIAL_CASES
        .binary_search_by(|(key, _)| key.as_bytes().cmp(s.as_bytes()))
        .ok()
        .map(|i| SPECIAL_CASES[i].1)
}

/// Pushes the pieces of a special case that starts at byte `start` of the text.
fn push_pieces(pieces: &[&str], mut start: usize, tokens: &mut Vec<Range<usize>>) {
    for piece in pieces {
        tokens.push(start..start + piece.len());
        start += piece.len();
    }
}

/// Tokenizes one chunk `text[start..end]` (a run of white space or of non-space characters):
/// spaCy's `_try_specials_and_cache` + `_tokenize` (affix splitting, then `_attach_tokens`).
fn tokenize_chunk(text: &str, start: usize, end: usize, tokens: &mut Vec<Range<usize>>) {
    let chunk = &text[start..end];
    if let Some(pieces) = special_case(chunk) {
        push_pieces(pieces, start, tokens);
        return;
    }
    // _split_affixes: peel prefixes and suffixes off until nothing changes or a special case
    // remains. `lo..hi` is the remaining middle, as byte offsets into `text`.
    let mut lo = start;
    let mut hi = end;
    let mut prefixes: Vec<Range<usize>> = Vec::new();
    let mut suffixes: Vec<Range<usize>> = Vec::new();
    let mut last_size = usize::MAX;
    while lo < hi && hi - lo != last_size {
        let s = &text[lo..hi];
        if special_case(s).is_some() {
            break;
        }
        last_size = hi - lo;
        let pre_len = find_prefix(s);
        if pre_len != 0 {
            let minus_pre = &s[pre_len..];
            if !minus_pre.is_empty() && special_case(minus_pre).is_some() {
                prefixes.push(lo..lo + pre_len);
                lo += pre_len;
                break;
            }
        }
        let suf_len = find_suffix(&s[pre_len..]);
        if suf_len != 0 {
            let minus_suf = &s[..s.len() - suf_len];
            if !minus_suf.is_empty() && special_case(minus_suf).is_some() {
                suffixes.push(hi - suf_len..hi);
                hi -= suf_len;
                break;
            }
        }
        if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= s.len() {
            prefixes.push(lo..lo + pre_len);
            suffixes.push(hi - suf_len..hi);
            lo += pre_len;
            hi -= suf_len;
        } else if pre_len != 0 {
            prefixes.push(lo..lo + pre_len);
            lo += pre_len;
        } else if suf_len != 0 {
            suffixes.push(hi - suf_len..hi);
            hi -= suf_len;
        }
    }
    // _attach_tokens
    tokens.extend(prefixes);
    if lo < hi {
        let s = &text[lo..hi];
        if let Some(pieces) = special_case(s) {
            push_pieces(pieces, lo, tokens);
        } else if url_match(s) {
            tokens.push(lo..hi);
        } else {
            attach_infixes(s, lo, tokens);
        }
    }
    tokens.extend(suffixes.into_iter().rev());
}

/// Splits `s` (starting at byte `base` of the text) on infixes the way `_attach_tokens` does,
/// including its quirk of ignoring an infix found at the very start.
fn attach_infixes(s: &str, base: usize, tokens: &mut Vec<Range<usize>>) {
    let mut start = 0usize;
    let mut found_any = false;
    for_each_infix(s, |infix_start, infix_end| {
        found_any = true;
        if infix_start == 0 {
            return;
        }
        if infix_start != start {
            tokens.push(base + start..base + infix_start);
        }
        if infix_start != infix_end {
            tokens.push(base + infix_start..base + infix_end);
        }
        start = infix_end;
    });
    if !found_any {
        tokens.push(base..base + s.len());
    } else if start < s.len() {
        tokens.push(base + start..base + s.len());
    }
}

#[inline]
fn is_ascii_digit(c: Option<char>) -> bool {
    matches!(c, Some('0'..='9'))
}

#[inline]
fn in_class(c: Option<char>, class: &super::charclass::CharClass) -> bool {
    c.is_some_and(|c| class.contains(c))
}

/// Length in bytes of the prefix spaCy's `prefix_search` finds at the start of `s` (0 if none).
pub(crate) fn find_prefix(s: &str) -> usize {
    let Some(first) = s.chars().next() else {
        return 0;
    };
    // Fast path: no prefix rule starts with an ASCII letter or digit except the currencies
    // "US$", "C$" and "A$" (checked by a unit test against the table).
    if first.is_ascii_alphanumeric() && !matches!(first, 'U' | 'C' | 'A') {
        return 0;
    }
    for rule in PREFIX_RULES {
        let len = match rule {
            PrefixRule::Literal(lit) => {
                if s.starts_with(lit) {
                    lit.len()
                } else {
                    0
                }
            }
            PrefixRule::Dots => {
                let n = s.bytes().take_while(|&b| b == b'.').count();
                if n >= 2 {
                    n
                } else {
                    0
                }
            }
            PrefixRule::Icon => {
                if ICONS.contains(first) {
                    first.len_utf8()
                } else {
                    0
                }
            }
            PrefixRule::PlusNotBeforeDigit => {
                if first == '+' && !is_ascii_digit(s[1..].chars().next()) {
                    1
                } else {
                    0
                }
            }
        };
        if len != 0 {
            return len;
        }
    }
    0
}

/// Length in bytes of the suffix spaCy's `suffix_search` finds at the end of `s` (0 if none).
///
/// Every suffix alternative is anchored at the end, so `re.search` returns the match that
/// starts earliest, i.e. the longest suffix any alternative matches.
pub(crate) fn find_suffix(s: &str) -> usize {
    let mut rev = s.chars().rev();
    let Some(last) = rev.next() else {
        return 0;
    };
    let mut best = 0usize;
    for lit in SUFFIX_LITERALS {
        if lit.len() > best && s.ends_with(lit) {
            best = lit.len();
        }
    }
    let dots = s.bytes().rev().take_while(|&b| b == b'.').count();
    if dots >= 2 {
        best = best.max(dots);
    }
    if ICONS.contains(last) {
        best = best.max(last.len_utf8());
    }
    let before_last = rev.next();
    if last == '+' && is_ascii_digit(before_last) {
        best = best.max(1);
    }
    if last == '.' {
        // (?<=°[FfCcKk])\.
        if matches!(before_last, Some('F' | 'f' | 'C' | 'c' | 'K' | 'k')) && rev.clone().next() == Some('°') {
            best = best.max(1);
        }
        // (?<=[0-9 lower-case letters, punctuation, quotes ...])\.
        if in_class(before_last, &SUFFIX_DOT_AFTER) {
            best = best.max(1);
        }
        // (?<=[ALPHA_UPPER][ALPHA_UPPER])\.
        if in_class(before_last, &ALPHA_UPPER) && in_class(rev.clone().next(), &ALPHA_UPPER) {
            best = best.max(1);
        }
    }
    // (?<=[0-9])(?:currency) and (?<=[0-9])(?:unit)
    for list in [SUFFIX_CURRENCIES, SUFFIX_UNITS] {
        for unit in list {
            if unit.len() > best && s.ends_with(unit) && is_ascii_digit(s[..s.len() - unit.len()].chars().next_back()) {
                best = unit.len();
            }
        }
    }
    best
}

/// The infix matches of spaCy's English `infix_finditer` over `s`, as byte ranges, in order
/// (non-overlapping, left to right, alternatives tried in regex order at each position).
pub(crate) fn for_each_infix(s: &str, mut f: impl FnMut(usize, usize)) {
    const DASHES: [&str; 7] = ["-", "\u{2013}", "\u{2014}", "--", "---", "\u{2014}\u{2014}", "~"];
    let mut prev: Option<char> = None;
    let mut pos = 0usize;
    while pos < s.len() {
        let rest = &s[pos..];
        let mut it = rest.chars();
        let c = it.next().expect("pos is inside s");
        let next = it.next();
        let mut end = 0usize;
        if c == '.' && next == Some('.') {
            end = pos + rest.bytes().take_while(|&b| b == b'.').count();
        } else if c == '\u{2026}' || ICONS.contains(c) {
            end = pos + c.len_utf8();
        } else if matches!(c, '+' | '-' | '*' | '^') && is_ascii_digit(prev) && (is_ascii_digit(next) || next == Some('-')) {
            end = pos + 1;
        } else if c == '.' && in_class(prev, &INFIX_DOT_BEFORE) && in_class(next, &INFIX_DOT_AFTER) {
            end = pos + 1;
        } else if c == ',' && in_class(prev, &ALPHA) && in_class(next, &ALPHA) {
            end = pos + 1;
        } else if in_class(prev, &ALPHA_OR_DIGIT) {
            for dash in DASHES {
                if rest.starts_with(dash) && in_class(rest[dash.len()..].chars().next(), &ALPHA) {
                    end = pos + dash.len();
                    break;
                }
            }
            if end == 0 && matches!(c, ':' | '<' | '>' | '=' | '/') && in_class(next, &ALPHA) {
                end = pos + 1;
            }
        }
        if end > pos {
            f(pos, end);
            prev = s[..end].chars().next_back();
            pos = end;
        } else {
            prev = Some(c);
            pos += c.len_utf8();
        }
    }
}

struct UrlRegexes {
    host: Regex,
    ip: Regex,
}

fn url_regexes() -> &'static UrlRegexes {
    static CELL: OnceLock<UrlRegexes> = OnceLock::new();
    CELL.get_or_init(|| {
        let build = |pattern: &str| {
            regex::RegexBuilder::new(pattern)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .expect("generated URL pattern compiles")
        };
        UrlRegexes { host: build(URL_HOST_PATTERN), ip: build(URL_IP_PATTERN) }
    })
}

/// spaCy's English `url_match` (`URL_MATCH` in `spacy/lang/tokenizer_exceptions.py`).
pub fn url_match(s: &str) -> bool {
    // Both the host-name and the IPv4 branch need a '.', which most tokens lack.
    if memchr::memchr(b'.', s.as_bytes()).is_none() {
        return false;
    }
    let regexes = url_regexes();
    if regexes.host.is_match(s) {
        return true;
    }
    match regexes.ip.captures(s) {
        Some(caps) => !is_private_ipv4(caps.get(1).map_or("", |m| m.as_str())),
        None => false,
    }
}

/// The negative look-aheads of URL_MATCH's IPv4 branch: 10.x, 127.x, 169.254.x, 192.168.x and
/// 172.16-31.x addresses are not URLs. `ip` is the dotted address the branch matched.
fn is_private_ipv4(ip: &str) -> bool {
    let mut octets = ip.split('.');
    let first = octets.next().unwrap_or("");
    let second = octets.next().unwrap_or("");
    if first == "10" || first == "127" {
        return true;
    }
    if (first == "169" && second == "254") || (first == "192" && second == "168") {
        return true;
    }
    if first == "172" {
        // 1[6-9] | 2\d | 3[0-1], where \d is any Unicode decimal digit.
        let mut cs = second.chars();
        let (a, b, rest) = (cs.next(), cs.next(), cs.next());
        if rest.is_none() {
            return match (a, b) {
                (Some('1'), Some('6'..='9')) | (Some('3'), Some('0' | '1')) => true,
                (Some('2'), Some(d)) => super::tables::PY_DIGIT.contains(d),
                _ => false,
            };
        }
    }
    false
}

/// The matcher-pattern indices grouped by the text of their first token, sorted for lookup.
fn matcher_index() -> &'static Vec<(&'static str, usize)> {
    static CELL: OnceLock<Vec<(&'static str, usize)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut index: Vec<(&'static str, usize)> =
            MATCHER_PATTERNS.iter().enumerate().map(|(i, (_, pattern))| (pattern[0], i)).collect();
        index.sort();
        index
    })
}

/// spaCy's `_apply_special_cases`: a final pass that finds token sequences the affix rules split
/// out of a special case (e.g. ":" ")" from "word:)") and re-joins them into the special case's
/// pieces when the sequence's text is exactly the special case.
fn apply_matched_special_cases(text: &str, tokens: &mut Vec<Range<usize>>) {
    let index = matcher_index();
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for i in 0..tokens.len() {
        let first = &text[tokens[i].clone()];
        let from = index.partition_point(|(t, _)| *t < first);
        for &(t, pattern_idx) in &index[from..] {
            if t != first {
                break;
            }
            let pattern = MATCHER_PATTERNS[pattern_idx].1;
            let end = i + pattern.len();
            if end <= tokens.len() && pattern.iter().zip(&tokens[i..end]).all(|(p, r)| *p == &text[r.clone()]) {
                matches.push((i, end));
            }
        }
    }
    if matches.is_empty() {
        return;
    }
    matches.sort_unstable();
    matches.dedup();
    // _filter_special_spans: longest first, then leftmost; a span is kept unless its first or
    // last token was covered by a span considered before it (kept or not).
    matches.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut seen = std::collections::BTreeSet::new();
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(start, end) in &matches {
        if !seen.contains(&start) && !seen.contains(&(end - 1)) {
            kept.push((start, end));
        }
        seen.extend(start..end);
    }
    kept.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::with_capacity(tokens.len());
    let mut i = 0usize;
    for (start, end) in kept {
        out.extend_from_slice(&tokens[i..start]);
        let span = tokens[start].start..tokens[end - 1].end;
        match special_case(&text[span.clone()]) {
            Some(pieces) => push_pieces(pieces, span.start, &mut out),
            None => out.extend_from_slice(&tokens[start..end]),
        }
        i = end;
    }
    out.extend_from_slice(&tokens[i..]);
    *tokens = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        word_tokenize(text)
    }

    #[test]
    fn prefix_fast_path_is_sound() {
        for rule in PREFIX_RULES {
            if let PrefixRule::Literal(lit) = rule {
                let c = lit.chars().next().unwrap();
                assert!(!c.is_ascii_alphanumeric() || matches!(c, 'U' | 'C' | 'A'), "{lit}");
            }
        }
    }

    #[test]
    fn contractions_split_like_spacy() {
        assert_eq!(words("I don't know"), ["I", "do", "n't", "know"]);
        assert_eq!(words("We cannot go"), ["We", "can", "not", "go"]);
        assert_eq!(words("wed"), ["we", "d"]);
        assert_eq!(words("It's fine, isn't it?"), ["It", "'s", "fine", ",", "is", "n't", "it", "?"]);
        assert_eq!(words("(don't)"), ["(", "do", "n't", ")"]);
        assert_eq!(words("y'all gonna"), ["y'", "all", "gon", "na"]);
    }

    #[test]
    fn punctuation_and_abbreviations() {
        assert_eq!(words("Hello, world."), ["Hello", ",", "world", "."]);
        assert_eq!(words("Mr. Smith at 10a.m. with a."), ["Mr.", "Smith", "at", "10", "a.m.", "with", "a."]);
        assert_eq!(words("U.S.A. is big."), ["U.S.A.", "is", "big", "."]);
        assert_eq!(words("Wait... what…ok"), ["Wait", "...", "what", "…", "ok"]);
        assert_eq!(words("\"Quoted\" 'single'"), ["\"", "Quoted", "\"", "'", "single", "'"]);
    }

    #[test]
    fn hyphens_numbers_and_units() {
        assert_eq!(words("well-known 3-4 pages"), ["well", "-", "known", "3", "-", "4", "pages"]);
        assert_eq!(words("10km 5$ 0mb 20%"), ["10", "km", "5", "$", "0", "mb", "20", "%"]);
        assert_eq!(words("$100 +1 +x"), ["$", "100", "+1", "+", "x"]);
        assert_eq!(words("1,000,000 and 3.14"), ["1,000,000", "and", "3.14"]);
        assert_eq!(words("end.Start"), ["end", ".", "Start"]);
    }

    #[test]
    fn urls_and_emoticons() {
        assert_eq!(words("see http://example.com/foo)."), ["see", "http://example.com/foo", ")", "."]);
        assert_eq!(words("www.example.co.uk"), ["www.example.co.uk"]);
        assert_eq!(words("1.2.3.4 10.0.0.1"), ["1.2.3.4", "10.0.0.1"]);
        assert_eq!(words("nice :) word:) <3"), ["nice", ":)", "word", ":)", "<3"]);
        assert!(url_match("https://x.org/a?b=c"));
        assert!(!url_match("10.0.0.1"));
        assert!(!url_match("example.Com"));
    }

    #[test]
    fn whitespace_tokens_are_dropped_from_words_only() {
        let text = "a  b\n\nc ";
        let toks: Vec<&str> = spacy_tokens(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(toks, ["a", " ", "b", "\n\n", "c"]);
        assert_eq!(words(text), ["a", "b", "c"]);
        assert_eq!(count_words(text), 3);
        assert!(words("").is_empty());
        assert!(words(" \t\n").is_empty());
    }

    #[test]
    fn unicode_text() {
        assert_eq!(words("Café naïve — «quoted»"), ["Café", "naïve", "—", "«", "quoted", "»"]);
        assert_eq!(words("日本語のテキスト。"), ["日本語のテキスト", "。"]);
    }
}
