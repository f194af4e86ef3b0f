//! Personal data and secrets: detection, drop decisions and redaction.
//!
//! Every detector is a regular expression that proposes candidates, followed by validation code
//! that rejects what the pattern alone cannot: Luhn for card numbers, mod-97 and the per-country
//! length for IBANs, octet ranges for IPv4, a real parser for IPv6, SSA allocation rules for US
//! SSNs, numbering-plan rules and digit counts for phone numbers. Candidates glued to other digits
//! or letters (order numbers, version strings, hashes) are rejected, because a filter that drops
//! rows must prefer a missed match over a false one.
//!
//! Reason codes (stable, see the constants): `pii_email`, `pii_phone`, `pii_ip`,
//! `pii_credit_card`, `pii_secret`, plus `pii_iban` and `pii_ssn` for the two kinds the issue left
//! open. Redaction placeholders: `<EMAIL>`, `<PHONE>`, `<IP_ADDRESS>`, `<CREDIT_CARD>`, `<IBAN>`,
//! `<SSN>`, `<SECRET>`.
//!
//! The patterns are compiled once per process ([`OnceLock`]) and need nothing beyond `std` and the
//! `regex` crate, so the module works the same natively and on wasm32.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Reason code: the row contains an e-mail address.
pub const PII_EMAIL: &str = "pii_email";
/// Reason code: the row contains a phone number.
pub const PII_PHONE: &str = "pii_phone";
/// Reason code: the row contains an IPv4 or IPv6 address.
pub const PII_IP: &str = "pii_ip";
/// Reason code: the row contains a payment card number that passes the Luhn check.
pub const PII_CREDIT_CARD: &str = "pii_credit_card";
/// Reason code: the row contains an IBAN whose mod-97 checksum holds.
pub const PII_IBAN: &str = "pii_iban";
/// Reason code: the row contains a US Social Security number with a valid area/group/serial.
pub const PII_SSN: &str = "pii_ssn";
/// Reason code: the row contains a credential (cloud key, API token, private-key block).
pub const PII_SECRET: &str = "pii_secret";

/// The kinds of personal data and secrets the detectors know.
///
/// The declaration order is the order reason codes are listed in; the overlap priority is
/// [`PiiKind::priority`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Phone,
    IpAddress,
    CreditCard,
    Iban,
    Ssn,
    Secret,
}

impl PiiKind {
    /// Every kind, in declaration order.
    pub const ALL: [PiiKind; 7] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::IpAddress,
        PiiKind::CreditCard,
        PiiKind::Iban,
        PiiKind::Ssn,
        PiiKind::Secret,
    ];

    /// The stable reason code a row dropped for this kind carries.
    pub fn reason_code(self) -> &'static str {
        match self {
            PiiKind::Email => PII_EMAIL,
            PiiKind::Phone => PII_PHONE,
            PiiKind::IpAddress => PII_IP,
            PiiKind::CreditCard => PII_CREDIT_CARD,
            PiiKind::Iban => PII_IBAN,
            PiiKind::Ssn => PII_SSN,
            PiiKind::Secret => PII_SECRET,
        }
    }

    /// The text that replaces a match of this kind in redact mode.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "<EMAIL>",
            PiiKind::Phone => "<PHONE>",
            PiiKind::IpAddress => "<IP_ADDRESS>",
            PiiKind::CreditCard => "<CREDIT_CARD>",
            PiiKind::Iban => "<IBAN>",
            PiiKind::Ssn => "<SSN>",
            PiiKind::Secret => "<SECRET>",
        }
    }

    /// The name used in configuration (`"ip_address"`, `"credit_card"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::IpAddress => "ip_address",
            PiiKind::CreditCard => "credit_card",
            PiiKind::Iban => "iban",
            PiiKind::Ssn => "ssn",
            PiiKind::Secret => "secret",
        }
    }

    /// When two candidates overlap, the one whose kind has the higher priority wins. Secrets and
    /// e-mails are the most specific patterns (a token can contain a run of digits that looks like
    /// a phone number; an e-mail's local part can too); checksummed numbers come next; phone
    /// numbers are the loosest pattern and lose every tie.
    pub fn priority(self) -> u8 {
        match self {
            PiiKind::Secret => 7,
            PiiKind::Email => 6,
            PiiKind::Iban => 5,
            PiiKind::CreditCard => 4,
            PiiKind::IpAddress => 3,
            PiiKind::Ssn => 2,
            PiiKind::Phone => 1,
        }
    }
}

/// What to do with a row that contains personal data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiMode {
    /// Remove the row; its decision carries one reason code per kind found.
    #[default]
    Drop,
    /// Keep the row with every match replaced by its kind's placeholder.
    Redact,
}

/// Configuration of the `pii` rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiConfig {
    /// `drop` (default) or `redact`.
    pub mode: PiiMode,
    /// The kinds to look for; default all of them.
    pub kinds: Vec<PiiKind>,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig {
            mode: PiiMode::Drop,
            kinds: PiiKind::ALL.to_vec(),
        }
    }
}

impl PiiConfig {
    /// Rejects a configuration that would silently do nothing (no kinds selected).
    pub fn validate(&self) -> Result<()> {
        if self.kinds.is_empty() {
            return Err(Error::Config(
                "pii.kinds is empty: list at least one of email, phone, ip_address, credit_card, \
                 iban, ssn, secret (or leave it out for all)"
                    .to_string(),
            ));
        }
        Ok(())
    }
}

/// One detected piece of personal data: its kind and where it is, as a byte range of the text
/// that was searched (always on `char` boundaries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub byte_range: Range<usize>,
}

impl PiiMatch {
    /// A one-line explanation for the page: `"email 'a@b.org' at bytes 10..17"`.
    pub fn describe(&self, text: &str) -> String {
        format!(
            "{} '{}' at bytes {}..{}",
            self.kind.name(),
            &text[self.byte_range.clone()],
            self.byte_range.start,
            self.byte_range.end
        )
    }
}

/// The result of applying the `pii` rule to one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PiiOutcome {
    /// Every match, ordered by position, non-overlapping.
    pub matches: Vec<PiiMatch>,
    /// In drop mode, one reason code per kind found (in [`PiiKind::ALL`] order); empty in redact
    /// mode and when nothing was found.
    pub reasons: Vec<&'static str>,
    /// In redact mode with at least one match, the rewritten text; otherwise `None`.
    pub redacted: Option<String>,
}

/// Finds every kind of personal data in `text`. Matches are non-overlapping and ordered by start.
pub fn find_pii(text: &str) -> Vec<PiiMatch> {
    find_pii_of(text, &PiiKind::ALL)
}

/// Finds the given kinds of personal data in `text`. Matches are non-overlapping and ordered by
/// start; where candidates of different kinds overlap, the higher [`PiiKind::priority`] wins, then
/// the longer candidate.
pub fn find_pii_of(text: &str, kinds: &[PiiKind]) -> Vec<PiiMatch> {
    let mut candidates: Vec<PiiMatch> = Vec::new();
    let numbers = NumberCandidates::of(text);
    for &kind in PiiKind::ALL.iter().filter(|k| kinds.contains(k)) {
        let before = candidates.len();
        match kind {
            PiiKind::Email => find_emails(text, &mut candidates),
            PiiKind::Phone => find_phones(text, &numbers, &mut candidates),
            PiiKind::IpAddress => find_ips(text, &numbers, &mut candidates),
            PiiKind::CreditCard if numbers.has(CARD) => find_cards(text, &mut candidates),
            PiiKind::Iban if numbers.has(IBAN) => find_ibans(text, &mut candidates),
            PiiKind::Ssn => find_ssns(text, &numbers, &mut candidates),
            PiiKind::Secret => find_secrets(text, &mut candidates),
            PiiKind::CreditCard | PiiKind::Iban => {}
        }
        debug_assert!(candidates[before..].iter().all(|m| m.kind == kind));
    }
    resolve_overlaps(candidates)
}

/// Applies the rule as configured: finds the configured kinds, then either lists the reason codes
/// (drop mode) or rewrites the text (redact mode).
pub fn apply(config: &PiiConfig, text: &str) -> PiiOutcome {
    let matches = find_pii_of(text, &config.kinds);
    match config.mode {
        PiiMode::Drop => {
            let reasons = reason_codes(&matches);
            PiiOutcome {
                matches,
                reasons,
                redacted: None,
            }
        }
        PiiMode::Redact => {
            let redacted = if matches.is_empty() {
                None
            } else {
                Some(redact(text, &matches))
            };
            PiiOutcome {
                matches,
                reasons: Vec::new(),
                redacted,
            }
        }
    }
}

/// The distinct reason codes of `matches`, in [`PiiKind::ALL`] order.
pub fn reason_codes(matches: &[PiiMatch]) -> Vec<&'static str> {
    PiiKind::ALL
        .iter()
        .filter(|kind| matches.iter().any(|m| m.kind == **kind))
        .map(|kind| kind.reason_code())
        .collect()
}

/// Replaces every match by its kind's placeholder. `matches` must be ordered, non-overlapping
/// ranges of `text` (as [`find_pii`] returns them); a match that overlaps the previous one is
/// skipped rather than corrupting the output.
pub fn redact(text: &str, matches: &[PiiMatch]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for m in matches {
        if m.byte_range.start < copied_up_to || m.byte_range.end > text.len() {
            continue;
        }
        out.push_str(&text[copied_up_to..m.byte_range.start]);
        out.push_str(m.kind.placeholder());
        copied_up_to = m.byte_range.end;
    }
    out.push_str(&text[copied_up_to..]);
    out
}

fn resolve_overlaps(mut candidates: Vec<PiiMatch>) -> Vec<PiiMatch> {
    // Highest priority first, then longest, then leftmost: greedy acceptance then keeps the most
    // specific explanation of every byte.
    candidates.sort_by(|a, b| {
        b.kind
            .priority()
            .cmp(&a.kind.priority())
            .then(
                (b.byte_range.end - b.byte_range.start)
                    .cmp(&(a.byte_range.end - a.byte_range.start)),
            )
            .then(a.byte_range.start.cmp(&b.byte_range.start))
    });
    // Accepted ranges are disjoint, so among them only the one starting last before the
    // candidate's end can overlap it: a map keyed by start keeps the check logarithmic.
    let mut accepted: BTreeMap<usize, PiiMatch> = BTreeMap::new();
    for candidate in candidates {
        let overlaps = accepted
            .range(..candidate.byte_range.end)
            .next_back()
            .is_some_and(|(_, previous)| previous.byte_range.end > candidate.byte_range.start);
        if !overlaps {
            accepted.insert(candidate.byte_range.start, candidate);
        }
    }
    accepted.into_values().collect()
}

// ---------------------------------------------------------------------------------------------
// Candidate patterns of the number-shaped kinds. Each detector validates its own candidates;
// the patterns are also compiled together into one `RegexSet`, so that a text none of them can
// match (nearly every text) costs one pass instead of ten.

/// `+<country code>` dial strings.
const INTERNATIONAL_PHONE: &str =
    r"\+[1-9][0-9]{0,2}(?:[ .\-]?\([0-9]{1,4}\)|[ .\-]?[0-9]{1,6}){1,7}";
/// North American numbers with visible grouping.
const NANP_PHONE: &str = r"(?:(?-u:\b)1[ .\-])?(?:\(([0-9]{3})\)[ .\-]?|(?-u:\b)([0-9]{3})([ .\-]))([0-9]{3})([ .\-])([0-9]{4})(?-u:\b)";
/// National numbers with a trunk `0`.
const NATIONAL_TRUNK_PHONE: &str = r"\(0[1-9][0-9]{0,3}\) ?[0-9]{3,8}(?:[ \-][0-9]{2,4})?|(?-u:\b)0[1-9][0-9]{0,3}[ /\-][0-9]{3,8}(?:[ \-][0-9]{2,4}){0,2}(?-u:\b)|(?-u:\b)0[1-9](?:[ .][0-9]{2}){4}(?-u:\b)";
/// Unformatted 10–11 digit runs (phone numbers only after a keyword).
const BARE_DIGIT_RUN: &str = r"(?-u:\b)[0-9]{10,11}(?-u:\b)";
/// Dotted quads.
const IPV4: &str = r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)";
/// Runs of hex digits and colons with at least two colons, with an optional dotted IPv4 tail.
const IPV6_CANDIDATE: &str = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:\.[0-9]{1,3}){0,3}";
/// Card numbers in printed groupings (4-4-4-4(-1..3), Amex 4-6-5, Diners 4-6-4) or unbroken.
const CARD: &str = r"(?-u:\b)(?:[0-9]{4}([ \-])[0-9]{4}[ \-][0-9]{4}[ \-][0-9]{4}(?:[ \-][0-9]{1,3})?|[0-9]{4}([ \-])[0-9]{6}[ \-][0-9]{4,5}|[0-9]{13,19})(?-u:\b)";
/// IBANs in electronic form or print form (groups of four separated by one space).
const IBAN: &str = r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,8}(?-u:\b)";
/// `123-45-6789` / `123 45 6789`.
const WRITTEN_SSN: &str = r"(?-u:\b)([0-9]{3})([ \-])([0-9]{2})([ \-])([0-9]{4})(?-u:\b)";
/// Nine digits after "SSN" / "social security number".
const CONTEXT_SSN: &str = r"(?-u:\b)(?i-u:ssn|social security(?: number| no\.?| #)?)(?-u:\b)[^0-9\n]{0,12}?([0-9]{9})(?-u:\b)";

/// The set's patterns, in index order.
const NUMBER_PATTERNS: [&str; 10] = [
    INTERNATIONAL_PHONE,
    NANP_PHONE,
    NATIONAL_TRUNK_PHONE,
    BARE_DIGIT_RUN,
    IPV4,
    IPV6_CANDIDATE,
    CARD,
    IBAN,
    WRITTEN_SSN,
    CONTEXT_SSN,
];

/// Which number-shaped candidate patterns occur anywhere in a text.
struct NumberCandidates(Option<regex::SetMatches>);

impl NumberCandidates {
    fn of(text: &str) -> Self {
        // Every one of these patterns needs an ASCII digit: a byte scan settles many texts.
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return NumberCandidates(None);
        }
        static SET: OnceLock<RegexSet> = OnceLock::new();
        let set = SET
            .get_or_init(|| RegexSet::new(NUMBER_PATTERNS).expect("built-in PII patterns compile"));
        NumberCandidates(Some(set.matches(text)))
    }

    fn has(&self, pattern: &str) -> bool {
        let index = NUMBER_PATTERNS
            .iter()
            .position(|p| *p == pattern)
            .expect("pattern is in the set");
        self.0.as_ref().is_some_and(|m| m.matched(index))
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn compiled(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in PII pattern compiles"))
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_after(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// The second character before `at` (the one before [`char_before`]).
fn char_two_before(text: &str, at: usize) -> Option<char> {
    let mut it = text[..at].chars().rev();
    it.next();
    it.next()
}

fn char_two_after(text: &str, at: usize) -> Option<char> {
    let mut it = text[at..].chars();
    it.next();
    it.next()
}

/// True when the number at `start..end` stands alone: not glued to letters, digits or `_`, and not
/// one part of a longer dotted, dashed or slashed number (`1.2.3.4.5`, `2023-555-0100-77`, an
/// order number `A-123-456-7890`).
fn number_is_isolated(text: &str, start: usize, end: usize) -> bool {
    if let Some(c) = char_before(text, start) {
        if c.is_alphanumeric() || c == '_' {
            return false;
        }
        if matches!(c, '.' | '-' | '/' | ',' | ':' | '+')
            && char_two_before(text, start).is_some_and(|d| d.is_alphanumeric())
        {
            return false;
        }
    }
    if let Some(c) = char_after(text, end) {
        if c.is_alphanumeric() || c == '_' {
            return false;
        }
        if matches!(c, '.' | '-' | '/' | ',' | ':')
            && char_two_after(text, end).is_some_and(|d| d.is_ascii_digit())
        {
            return false;
        }
    }
    true
}

/// True when `start..end` is one stretch of a longer run of space-separated digit groups, such
/// as the tail of a printed IBAN or account number (`DE89 3704 0044 0532 0130 01`): a digit and a
/// space directly before, or a space and a digit directly after.
fn inside_digit_group_run(text: &str, start: usize, end: usize) -> bool {
    let before = char_before(text, start) == Some(' ')
        && char_two_before(text, start).is_some_and(|c| c.is_ascii_digit());
    let after = char_after(text, end) == Some(' ')
        && char_two_after(text, end).is_some_and(|c| c.is_ascii_digit());
    before || after
}

fn digits_of(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

// ---------------------------------------------------------------------------------------------
// E-mail

fn find_emails(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Local part: the dot-atom characters people actually use; domain: labels of letters, digits
    // and hyphens ending in an alphabetic TLD of at least two letters.
    let re = compiled(
        &RE,
        r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_%+\-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}",
    );
    // `logo@2x.png`-style asset names have the shape of an address but a file extension as "TLD".
    const FILE_EXTENSIONS: [&str; 10] = [
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff",
    ];
    for m in re.find_iter(text) {
        let tld = m.as_str().rsplit('.').next().unwrap_or("");
        if FILE_EXTENSIONS
            .iter()
            .any(|ext| tld.eq_ignore_ascii_case(ext))
        {
            continue;
        }
        if char_after(text, m.end()).is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '@') {
            continue;
        }
        if local_part_has_double_dot(m.as_str()) {
            continue;
        }
        // `@user@instance.social` is a fediverse handle, not a mailbox.
        if char_before(text, m.start()) == Some('@') {
            continue;
        }
        // Internationalised local parts (`jürgen@…`): the ASCII pattern starts after the last
        // non-ASCII letter, so extend the match back over the rest of the local part: letters
        // of the alphabets written with spaces between words (Latin, Greek, Cyrillic). Not over
        // Han or kana: Chinese and Japanese put an address straight after the preceding word
        // ("我的邮箱是johndoe@example.com").
        let mut start = m.start();
        while let Some(c) = char_before(text, start) {
            let spaced_alphabet_letter =
                c.is_alphanumeric() && ('\u{00C0}'..='\u{052F}').contains(&c);
            if c.is_ascii_alphanumeric()
                || spaced_alphabet_letter
                || matches!(c, '.' | '_' | '%' | '+' | '-')
            {
                start -= c.len_utf8();
            } else {
                break;
            }
        }
        out.push(PiiMatch {
            kind: PiiKind::Email,
            byte_range: start..m.end(),
        });
    }
}

fn local_part_has_double_dot(address: &str) -> bool {
    address
        .split('@')
        .next()
        .is_some_and(|local| local.contains(".."))
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

fn find_phones(text: &str, numbers: &NumberCandidates, out: &mut Vec<PiiMatch>) {
    if numbers.has(INTERNATIONAL_PHONE) {
        find_international_phones(text, out);
    }
    if numbers.has(NANP_PHONE) {
        find_nanp_phones(text, out);
    }
    if numbers.has(NATIONAL_TRUNK_PHONE) {
        find_national_trunk_phones(text, out);
    }
    if numbers.has(BARE_DIGIT_RUN) {
        find_contextual_bare_phones(text, out);
    }
}

/// `+<country code>` followed by digit groups: `+1-212-456-7890`, `+44 20 7946 0958`,
/// `+49 (0)30 1234 5678`, E.164 `+12312322334`. 8 to 15 digits in all, the E.164 maximum.
fn find_international_phones(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = compiled(&RE, INTERNATIONAL_PHONE);
    for m in re.find_iter(text) {
        let s = m.as_str();
        // The "(0)" trunk hint is written but not dialled from abroad: it does not count.
        let counted = s.replace("(0)", "");
        let digits = digits_of(&counted).len();
        // E.164 allows 15 digits, but an unbroken 15-digit run after '+' is far more often a sum
        // in a worked arithmetic example ("472547338 +960397912423686") than a dial string.
        let unbroken = counted[1..].bytes().all(|b| b.is_ascii_digit());
        let max_digits = if unbroken { 14 } else { 15 };
        if !(8..=max_digits).contains(&digits) {
            continue;
        }
        if let Some(c) = char_before(text, m.start()) {
            // `a+123...`, `2+3456...`, `)+...` are arithmetic or identifiers, not a dial string.
            if c.is_alphanumeric() || c == ')' || c == '_' {
                continue;
            }
        }
        if !number_is_isolated(text, m.start() + 1, m.end()) {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::Phone,
            byte_range: m.range(),
        });
    }
}

/// North American numbers with visible grouping: `(814) 360 8593`, `212-456-7890`,
/// `212.456.7890`, `1-800-555-0199`. Area code and exchange must start with 2–9 (NANP rules).
fn find_nanp_phones(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = compiled(&RE, NANP_PHONE);
    for caps in re.captures_iter(text) {
        let whole = caps.get(0).expect("group 0");
        let area = caps
            .get(1)
            .or(caps.get(2))
            .expect("one area alternative")
            .as_str();
        let exchange = caps.get(4).expect("exchange").as_str();
        // Without parentheses the two separators must agree: `212-456-7890` is a phone number,
        // `212.456-7890` is more likely a reference of some other kind.
        if let (Some(first), Some(second)) = (caps.get(3), caps.get(5)) {
            if first.as_str() != second.as_str() {
                continue;
            }
        }
        if !nanp_leading_digit_ok(area) || !nanp_leading_digit_ok(exchange) {
            continue;
        }
        let start = whole.start();
        // The regex's `\b` before `(` cannot apply; check that side by hand.
        if !number_is_isolated(text, start, whole.end())
            || inside_digit_group_run(text, start, whole.end())
        {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::Phone,
            byte_range: whole.range(),
        });
    }
}

fn nanp_leading_digit_ok(group: &str) -> bool {
    matches!(group.as_bytes().first(), Some(b'2'..=b'9'))
}

/// National formats with a trunk `0`: `020 7946 0958`, `07700 900123`, `(030) 1234 5678`,
/// `0171/1234567`, French `01 23 45 67 89`. 10 to 12 digits in all: 9 would admit US ZIP+4
/// codes (`02139-4307`) for the sake of a few short Italian landlines.
fn find_national_trunk_phones(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = compiled(&RE, NATIONAL_TRUNK_PHONE);
    for m in re.find_iter(text) {
        let digits = digits_of(m.as_str()).len();
        if !(10..=12).contains(&digits) {
            continue;
        }
        if !number_is_isolated(text, m.start(), m.end())
            || inside_digit_group_run(text, m.start(), m.end())
        {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::Phone,
            byte_range: m.range(),
        });
    }
}

/// An unformatted run of digits is a phone number only when a word like "phone" or "call" stands
/// just before it (at most 20 characters, no digit and no line break in between); otherwise
/// `4155550123` is as likely an order or account number.
fn find_contextual_bare_phones(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Search the rare thing (a 10–11 digit run) and look back for the keyword, rather than the
    // other way round: a case-insensitive keyword alternation defeats the regex prefilter.
    let re = compiled(&RE, BARE_DIGIT_RUN);
    const KEYWORDS: [&str; 10] = [
        "phone",
        "telephone",
        "tel",
        "mobile",
        "cell",
        "fax",
        "call",
        "whatsapp",
        "sms",
        "text me",
    ];
    for number in re.find_iter(text) {
        if char_before(text, number.start()) == Some('+') {
            continue; // handled by the international detector
        }
        let window_start = text[..number.start()]
            .char_indices()
            .rev()
            .nth(19 + 9)
            .map_or(0, |(i, _)| i);
        let window = &text[window_start..number.start()];
        // Only what follows the last digit or line break can introduce this number.
        let gap_start = window
            .rfind(|c: char| c.is_ascii_digit() || c == '\n')
            .map_or(0, |i| i + 1);
        let before = window[gap_start..].to_ascii_lowercase();
        let has_keyword = KEYWORDS.iter().any(|k| {
            before.match_indices(k).any(|(i, _)| {
                let gap = before[i + k.len()..].chars().count();
                let starts_word = !before[..i].ends_with(|c: char| c.is_alphanumeric());
                let ends_word = !before[i + k.len()..].starts_with(|c: char| c.is_alphanumeric());
                starts_word && ends_word && gap <= 20
            })
        });
        if !has_keyword {
            continue;
        }
        let digits = digits_of(number.as_str());
        let plausible = match digits.len() {
            10 if digits[0] == 0 => digits[1] != 0,
            10 => digits[0] >= 2 && digits[3] >= 2,
            11 if digits[0] == 1 => digits[1] >= 2 && digits[4] >= 2,
            11 if digits[0] == 0 => digits[1] != 0,
            _ => false,
        };
        if plausible && number_is_isolated(text, number.start(), number.end()) {
            out.push(PiiMatch {
                kind: PiiKind::Phone,
                byte_range: number.range(),
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IP addresses

fn find_ips(text: &str, numbers: &NumberCandidates, out: &mut Vec<PiiMatch>) {
    if numbers.has(IPV4) {
        find_ipv4(text, out);
    }
    if numbers.has(IPV6_CANDIDATE) {
        find_ipv6(text, out);
    }
}

fn find_ipv4(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = compiled(&RE, IPV4);
    for m in re.find_iter(text) {
        if !valid_ipv4(m.as_str()) || identifies_no_host_v4(m.as_str()) {
            continue;
        }
        if !number_is_isolated(text, m.start(), m.end()) {
            continue;
        }
        if preceded_by_version_word(text, m.start()) {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::IpAddress,
            byte_range: m.range(),
        });
    }
}

/// Loopback (`127.0.0.1`), unspecified (`0.0.0.0`) and broadcast addresses name no particular
/// machine; they fill coding answers ("listen on 0.0.0.0:8080") and dropping those rows as
/// personal data would only do harm.
fn identifies_no_host_v4(s: &str) -> bool {
    s.parse::<Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast())
}

/// Four decimal octets, each 0–255, without leading zeros (`010.1.1.1` is ambiguous: octal in
/// some parsers, decimal in others, and more often a zero-padded reference number).
fn valid_ipv4(s: &str) -> bool {
    s.split('.').all(|octet| {
        !(octet.len() > 1 && octet.starts_with('0')) && octet.parse::<u16>().is_ok_and(|v| v <= 255)
    })
}

/// `version 1.2.3.4`, `v. 10.0.0.1`, `build 4.3.2.1` name a release, not a host.
fn preceded_by_version_word(text: &str, start: usize) -> bool {
    let window_start = text[..start]
        .char_indices()
        .rev()
        .nth(15)
        .map_or(0, |(i, _)| i);
    let before = text[window_start..start].trim_end().to_ascii_lowercase();
    let before = before.trim_end_matches([':', '.', '=']).trim_end();
    ["version", "ver", "v", "release", "build", "firmware", "rev"]
        .iter()
        .any(|w| {
            before.ends_with(w)
                && !before[..before.len() - w.len()].ends_with(|c: char| c.is_alphanumeric())
        })
}

fn find_ipv6(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Candidates: runs of hex digits and colons with at least two colons, optionally ending in a
    // dotted IPv4 tail (`::ffff:192.0.2.1`). `Ipv6Addr`'s parser decides validity.
    let re = compiled(&RE, IPV6_CANDIDATE);
    for m in re.find_iter(text) {
        let mut range = m.range();
        let mut candidate = m.as_str();
        // A sentence may put a colon straight after an address ("fe80::1: unreachable").
        if candidate.parse::<Ipv6Addr>().is_err()
            && candidate.ends_with(':')
            && !candidate.ends_with("::")
        {
            candidate = &candidate[..candidate.len() - 1];
            range.end -= 1;
        }
        match candidate.parse::<Ipv6Addr>() {
            Ok(ip) if ip.is_loopback() || ip.is_unspecified() => continue,
            Ok(_) => {}
            Err(_) => continue,
        }
        // `Foo::bar`, `ab::cd` (code paths) parse as addresses but have no digit; real addresses
        // written in text nearly always do.
        if !candidate.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        // `::` alone or `::1`-style stubs under four hex digits are too short to mean anything.
        if candidate.bytes().filter(u8::is_ascii_hexdigit).count() < 3 {
            continue;
        }
        let glued_before =
            char_before(text, range.start).is_some_and(|c| c.is_alphanumeric() || c == '_');
        let glued_after =
            char_after(text, range.end).is_some_and(|c| c.is_alphanumeric() || c == '_');
        if glued_before || glued_after {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::IpAddress,
            byte_range: range,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Payment cards

fn find_cards(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Printed groupings only: 4-4-4-4(-1..3), Amex 4-6-5, Diners 4-6-4, or no separators at all.
    let re = compiled(&RE, CARD);
    for caps in re.captures_iter(text) {
        let m = caps.get(0).expect("group 0");
        let s = m.as_str();
        let separator = caps
            .get(1)
            .or(caps.get(2))
            .map(|g| g.as_str().as_bytes()[0]);
        if let Some(sep) = separator {
            // One separator throughout: `4929 3813-3266 4295` is not how cards are printed.
            if s.bytes().any(|b| !b.is_ascii_digit() && b != sep) {
                continue;
            }
        }
        let digits = digits_of(s);
        if !(13..=19).contains(&digits.len()) || !luhn_valid(&digits) || !known_card_prefix(&digits)
        {
            continue;
        }
        if !number_is_isolated(text, m.start(), m.end()) {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::CreditCard,
            byte_range: m.range(),
        });
    }
}

/// The Luhn (mod 10) checksum that every payment card number satisfies.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Issuer prefixes of the networks in use (Visa, Mastercard, Amex, Discover, Diners, JCB,
/// UnionPay, Maestro). Luhn alone accepts one random number in ten; requiring a real issuer prefix
/// and the matching length removes most of those.
fn known_card_prefix(digits: &[u8]) -> bool {
    let prefix = |n: usize| {
        digits
            .iter()
            .take(n)
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d))
    };
    let len = digits.len();
    // Visa: 13-digit cards are no longer issued, and accepting them let Luhn-valid 13-digit
    // arithmetic results through.
    let visa = digits[0] == 4 && matches!(len, 16 | 19);
    let mastercard =
        ((51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4))) && len == 16;
    let maestro = matches!(prefix(2), 50 | 56..=60 | 63 | 67..=69) && (12..=19).contains(&len);
    let amex = matches!(prefix(2), 34 | 37) && len == 15;
    let diners = (matches!(prefix(2), 36 | 38 | 39) || (300..=305).contains(&prefix(3)))
        && (14..=19).contains(&len);
    let jcb = (3528..=3589).contains(&prefix(4)) && (16..=19).contains(&len);
    let discover = (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)))
        && (16..=19).contains(&len);
    let unionpay = prefix(2) == 62 && (16..=19).contains(&len);
    visa || mastercard || maestro || amex || diners || jcb || discover || unionpay
}

// ---------------------------------------------------------------------------------------------
// IBAN

/// Registered IBAN lengths per country (SWIFT IBAN registry). A candidate whose country is not
/// listed, or whose length differs, is not an IBAN.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

fn find_ibans(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Electronic form (no spaces) or print form (groups of four separated by one space).
    let re = compiled(&RE, IBAN);
    for m in re.find_iter(text) {
        let s = m.as_str();
        let Some(&(_, length)) = IBAN_LENGTHS.iter().find(|(cc, _)| *cc == &s[..2]) else {
            continue;
        };
        // Take exactly `length` alphanumerics from the candidate; the pattern may have swallowed
        // a following word in capitals ("DE89 3704 0044 0532 0130 00 EUR").
        let mut compact = String::with_capacity(length);
        let mut end = None;
        for (i, c) in s.char_indices() {
            if c == ' ' {
                continue;
            }
            compact.push(c);
            if compact.len() == length {
                end = Some(i + c.len_utf8());
                break;
            }
        }
        let Some(end) = end else { continue };
        if s[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            continue; // the IBAN would end inside a group
        }
        if !iban_checksum_valid(&compact) {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::Iban,
            byte_range: m.start()..m.start() + end,
        });
    }
}

/// ISO 13616 check: move the first four characters to the end, map letters to 10..35, and the
/// number must be 1 modulo 97.
pub fn iban_checksum_valid(compact: &str) -> bool {
    if compact.len() < 5
        || !compact
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return false;
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut remainder = 0u32;
    for b in rearranged {
        if b.is_ascii_digit() {
            remainder = (remainder * 10 + u32::from(b - b'0')) % 97;
        } else {
            let v = u32::from(b - b'A') + 10;
            remainder = (remainder * 100 + v) % 97;
        }
    }
    remainder == 1
}

// ---------------------------------------------------------------------------------------------
// US Social Security numbers

fn find_ssns(text: &str, numbers: &NumberCandidates, out: &mut Vec<PiiMatch>) {
    if numbers.has(WRITTEN_SSN) {
        find_written_ssns(text, out);
    }
    if numbers.has(CONTEXT_SSN) {
        find_contextual_ssns(text, out);
    }
}

fn find_written_ssns(text: &str, out: &mut Vec<PiiMatch>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Written forms: `123-45-6789` or `123 45 6789`.
    let re = compiled(&RE, WRITTEN_SSN);
    for caps in re.captures_iter(text) {
        let m = caps.get(0).expect("group 0");
        if caps[2] != caps[4] {
            continue;
        }
        if !valid_ssn(&caps[1], &caps[3], &caps[5]) || !number_is_isolated(text, m.start(), m.end())
        {
            continue;
        }
        out.push(PiiMatch {
            kind: PiiKind::Ssn,
            byte_range: m.range(),
        });
    }
}

/// Nine bare digits count only right after "SSN" / "social security number".
fn find_contextual_ssns(text: &str, out: &mut Vec<PiiMatch>) {
    static CONTEXT_RE: OnceLock<Regex> = OnceLock::new();
    let context = compiled(&CONTEXT_RE, CONTEXT_SSN);
    for caps in context.captures_iter(text) {
        let m = caps.get(1).expect("number group");
        let s = m.as_str();
        if valid_ssn(&s[..3], &s[3..5], &s[5..]) && number_is_isolated(text, m.start(), m.end()) {
            out.push(PiiMatch {
                kind: PiiKind::Ssn,
                byte_range: m.range(),
            });
        }
    }
}

/// SSA rules: area not 000, 666 or 900–999; group not 00; serial not 0000. The number printed on
/// the famous Woolworth sample card (078-05-1120) was voided and is excluded too.
fn valid_ssn(area: &str, group: &str, serial: &str) -> bool {
    let area: u16 = area.parse().unwrap_or(0);
    area != 0
        && area != 666
        && area < 900
        && group != "00"
        && serial != "0000"
        && !(area == 78 && group == "05" && serial == "1120")
}

// ---------------------------------------------------------------------------------------------
// Secrets

fn find_secrets(text: &str, out: &mut Vec<PiiMatch>) {
    static TOKENS: OnceLock<Regex> = OnceLock::new();
    static OPENAI: OnceLock<Regex> = OnceLock::new();
    static AWS_SECRET: OnceLock<Regex> = OnceLock::new();
    static PEM: OnceLock<Regex> = OnceLock::new();

    // Fixed-prefix tokens whose shape alone identifies them.
    let tokens = compiled(
        &TOKENS,
        concat!(
            r"(?-u:\b)(?:",
            r"(?:AKIA|ASIA)[A-Z0-9]{16}", // AWS access key id (long-term, temporary)
            r"|gh[pousr]_[A-Za-z0-9]{36,251}", // GitHub classic tokens
            r"|github_pat_[A-Za-z0-9_]{22,255}", // GitHub fine-grained tokens
            r"|xox[abposr]-[A-Za-z0-9\-]{10,}", // Slack tokens
            r"|AIza[0-9A-Za-z_\-]{35}",   // Google API keys
            r"|(?:sk|rk)_live_[0-9A-Za-z]{16,}", // Stripe live keys
            r")(?-u:\b)"
        ),
    );
    for m in tokens.find_iter(text) {
        out.push(PiiMatch {
            kind: PiiKind::Secret,
            byte_range: m.range(),
        });
    }

    // OpenAI / Anthropic style: `sk-` then a long run with both letters and digits (rules out
    // prose such as `sk-learn` or `sk-this-is-not-a-key`).
    let openai = compiled(&OPENAI, r"(?-u:\b)sk-[A-Za-z0-9_\-]{20,}");
    for m in openai.find_iter(text) {
        let body = &m.as_str()[3..];
        let has_digit = body.bytes().any(|b| b.is_ascii_digit());
        let has_letter = body.bytes().any(|b| b.is_ascii_alphabetic());
        let longest_word = body.split(['-', '_']).map(str::len).max().unwrap_or(0);
        if has_digit && has_letter && longest_word >= 16 {
            out.push(PiiMatch {
                kind: PiiKind::Secret,
                byte_range: m.range(),
            });
        }
    }

    // AWS secret access keys are 40 base64 characters with no prefix: only the value of an
    // assignment to a variable with that name is reliable.
    let aws_secret = compiled(
        &AWS_SECRET,
        r#"(?i-u:aws_?secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?-u:\b)"#,
    );
    for caps in aws_secret.captures_iter(text) {
        let value = caps.get(1).expect("value group");
        out.push(PiiMatch {
            kind: PiiKind::Secret,
            byte_range: value.range(),
        });
    }

    // Private keys in PEM armour, whole block; a truncated block (no END line) through its
    // optional `Name: value` headers and the base64 lines that follow, stopping at the first line
    // that is neither.
    let pem = compiled(
        &PEM,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?s:.*?)-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:(?:\r?\n[A-Za-z][A-Za-z\-]*: [^\r\n]*)+\r?\n)?(?:\r?\n[A-Za-z0-9+/=]+)*",
    );
    for m in pem.find_iter(text) {
        out.push(PiiMatch {
            kind: PiiKind::Secret,
            byte_range: m.range(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, String)> {
        find_pii(text)
            .into_iter()
            .map(|m| (m.kind, text[m.byte_range].to_string()))
            .collect()
    }

    #[test]
    fn luhn_accepts_known_numbers_and_rejects_a_changed_digit() {
        assert!(luhn_valid(&digits_of("4111111111111111")));
        assert!(luhn_valid(&digits_of("378282246310005")));
        assert!(!luhn_valid(&digits_of("4111111111111112")));
    }

    #[test]
    fn iban_checksum_matches_the_registry_examples() {
        assert!(iban_checksum_valid("DE89370400440532013000"));
        assert!(iban_checksum_valid("GB29NWBK60161331926819"));
        assert!(!iban_checksum_valid("DE89370400440532013001"));
    }

    #[test]
    fn overlap_keeps_the_more_specific_kind() {
        // The digits of the card would also fit a phone pattern; the card must win.
        let found = kinds("card 4111 1111 1111 1111 thanks");
        assert_eq!(
            found,
            vec![(PiiKind::CreditCard, "4111 1111 1111 1111".to_string())]
        );
    }

    #[test]
    fn internationalised_local_part_is_covered_whole() {
        assert_eq!(
            kinds("我的邮箱是johndoe@example.com。"),
            vec![(PiiKind::Email, "johndoe@example.com".to_string())]
        );
        assert_eq!(
            kinds("schreib an jürgen.müller@example.de!"),
            vec![(PiiKind::Email, "jürgen.müller@example.de".to_string())]
        );
    }

    #[test]
    fn redact_replaces_each_match_and_keeps_the_rest() {
        let text = "mail a.b@example.org or call +44 20 7946 0958.";
        let matches = find_pii(text);
        assert_eq!(redact(text, &matches), "mail <EMAIL> or call <PHONE>.");
    }

    #[test]
    fn apply_lists_reason_codes_in_drop_mode_and_rewrites_in_redact_mode() {
        let text = "ssn 123-45-6789, ip 10.0.0.1";
        let dropped = apply(&PiiConfig::default(), text);
        assert_eq!(dropped.reasons, vec![PII_IP, PII_SSN]);
        assert_eq!(dropped.redacted, None);
        let redacting = PiiConfig {
            mode: PiiMode::Redact,
            ..PiiConfig::default()
        };
        let redacted = apply(&redacting, text);
        assert!(redacted.reasons.is_empty());
        assert_eq!(
            redacted.redacted.as_deref(),
            Some("ssn <SSN>, ip <IP_ADDRESS>")
        );
    }

    #[test]
    fn config_rejects_unknown_fields_and_empty_kinds() {
        assert!(serde_json::from_str::<PiiConfig>(r#"{"mode":"drop","kindz":[]}"#).is_err());
        let cfg: PiiConfig = serde_json::from_str(r#"{"kinds":[]}"#).unwrap();
        assert!(cfg.validate().is_err());
        let cfg: PiiConfig =
            serde_json::from_str(r#"{"mode":"redact","kinds":["email","ip_address"]}"#).unwrap();
        assert_eq!(cfg.kinds, vec![PiiKind::Email, PiiKind::IpAddress]);
        assert_eq!(cfg.mode, PiiMode::Redact);
    }
}
