//! Chat messages for Slack incoming webhooks and Teams workflow webhooks: an event in words,
//! within what each platform accepts whatever the size of the event, and with every text an
//! account's writers or the directory chose escaped for the platform's markup.
//!
//! Slack rejects a message whose `header` text exceeds 150 characters, whose `section` text
//! exceeds 3,000, or that has more than 50 blocks; Teams rejects messages over about 28 KB. A
//! Slack message here has two blocks and a header cut to 150 characters (a Teams card three
//! text blocks), and names at most [`NAMED_TENANTS`] tenants in at most
//! [`TENANT_CHARS`] characters, counting the rest ("and 175 more") with a link to the event's
//! page, which names them all.

use domain::WebhookFormat;
use serde_json::{json, Value};

use crate::views::events::{EventWords, TenantList};

/// Slack: the most characters of a `header` block's text.
pub const SLACK_HEADER_MAX: usize = 150;
/// Slack: the most characters of a `section` block's text.
pub const SLACK_SECTION_MAX: usize = 3000;
/// The most tenants a message names.
pub const NAMED_TENANTS: usize = 25;
/// The most characters the named tenants take (escaped, with their separators).
pub const TENANT_CHARS: usize = 2000;
/// The most characters of the line about the event.
const ABOUT_CHARS: usize = 700;
/// The most characters of the top-level text (Slack's notification line).
const TEXT_CHARS: usize = 300;

/// A chat message about `event` (e.g. `incident.created`): the title, the line about it and
/// the reader's tenants; `link` is the event's page, linked when tenants are left out.
pub fn chat_message(
    format: WebhookFormat,
    event: &str,
    words: &EventWords,
    link: Option<&str>,
) -> Value {
    match format {
        WebhookFormat::Teams => teams(event, words, link),
        _ => slack(event, words, link),
    }
}

fn slack(event: &str, words: &EventWords, link: Option<&str>) -> Value {
    let header = fit(&one_line(&words.title), SLACK_HEADER_MAX, |t| t.to_owned());
    let header = if header.is_empty() {
        event.to_owned()
    } else {
        header
    };
    let mut section = format!(
        "*{event}* · {}",
        fit(&one_line(&words.about), ABOUT_CHARS, slack_escape)
    );
    if let Some(tenants) = &words.tenants {
        section.push('\n');
        section.push_str(&tenant_line(tenants, slack_escape, |all| {
            link.map(|url| format!(" — <{}|all {all}>", slack_escape(url)))
        }));
    }
    let section = fit(&section, SLACK_SECTION_MAX, |t| t.to_owned());
    json!({
        "text": fit(&format!("{event}: {}", one_line(&words.title)), TEXT_CHARS, slack_escape),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": true}},
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
        ],
    })
}

fn teams(event: &str, words: &EventWords, link: Option<&str>) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": fit(&one_line(&words.title), TEXT_CHARS, markdown_escape), "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": format!("{event} · {}", fit(&one_line(&words.about), ABOUT_CHARS, markdown_escape)), "wrap": true, "isSubtle": true}),
    ];
    if let Some(tenants) = &words.tenants {
        let line = tenant_line(tenants, markdown_escape, |all| {
            link.map(|url| format!(" — [all {all}]({url})"))
        });
        body.push(json!({"type": "TextBlock", "text": line, "wrap": true}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            },
        }],
    })
}

/// "label (n): a, b, c and 175 more — <link>": at most [`NAMED_TENANTS`] names (each
/// escaped, none cut) in at most [`TENANT_CHARS`] characters; `more(n)` writes the link to
/// all `n` when some are left out.
fn tenant_line(
    tenants: &TenantList,
    escape: impl Fn(&str) -> String,
    more: impl Fn(usize) -> Option<String>,
) -> String {
    let all = tenants.names.len();
    let mut named: Vec<String> = Vec::new();
    let mut used = 0;
    for name in &tenants.names {
        let shown = fit(&one_line(name), 400, &escape);
        let cost = shown.chars().count() + 2;
        if named.len() == NAMED_TENANTS || used + cost > TENANT_CHARS {
            break;
        }
        used += cost;
        named.push(shown);
    }
    let mut line = format!("{} ({all}): {}", tenants.label, named.join(", "));
    if named.len() < all {
        line.push_str(&format!(" and {} more", all - named.len()));
        if let Some(link) = more(all) {
            line.push_str(&link);
        }
    }
    line
}

/// `text` on one line (chat markup reads line breaks as structure).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` escaped by `escape`, cut on a character boundary so that it and a closing "…"
/// take at most `max` characters (never cutting inside an escape).
fn fit(text: &str, max: usize, escape: impl Fn(&str) -> String) -> String {
    let whole = escape(text);
    if whole.chars().count() <= max {
        return whole;
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let piece = escape(c.encode_utf8(&mut buf));
        let cost = piece.chars().count();
        if used + cost + 1 > max {
            break;
        }
        used += cost;
        kept.push_str(&piece);
    }
    kept.push('…');
    kept
}

/// Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions, entities).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Teams renders Markdown in a TextBlock: a backslash before every character that starts
/// markup (links, emphasis, code, headings, lists, quotes), so `[Reset](https://…)` shows as
/// written instead of as a link.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '['
                | ']'
                | '('
                | ')'
                | '~'
                | '`'
                | '<'
                | '>'
                | '#'
                | '|'
                | '{'
                | '}'
                | '!'
                | '+'
                | '-'
                | '.'
                | '='
        ) && markup_here(&out, c)
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `c` after `before` can start markup: `-`, `+`, `.` and `=` only at the start of the
/// text or after a list number ("1."); the others anywhere.
fn markup_here(before: &str, c: char) -> bool {
    match c {
        '-' | '+' | '=' => before.is_empty(),
        '.' => !before.is_empty() && before.chars().all(|d| d.is_ascii_digit()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(title: &str, tenants: Vec<String>) -> EventWords {
        EventWords {
            title: title.to_owned(),
            about: "major outage · investigating · since 2027-01-02 22:00 UTC".to_owned(),
            tenants: Some(TenantList {
                label: "Your impacted tenants",
                names: tenants,
            }),
        }
    }

    #[test]
    fn slack_messages_keep_to_slacks_limits_for_any_size_of_event() {
        let title: String = "Ä".repeat(199) + "<";
        let tenants: Vec<String> = (0..500)
            .map(|i| format!("{i:03}-{}&<>", "t".repeat(190)))
            .collect();
        let message = chat_message(
            WebhookFormat::Slack,
            "incident.created",
            &words(&title, tenants),
            Some("https://slr.example/status-page/incidents/7"),
        );
        let blocks = message["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50);
        let header = blocks[0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), SLACK_HEADER_MAX);
        assert!(header.ends_with("Ä…"), "{header}");
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(section.chars().count() <= SLACK_SECTION_MAX);
        assert!(
            section.contains("Your impacted tenants (500): 000-"),
            "{section}"
        );
        assert!(section.contains("&amp;&lt;&gt;"), "{section}");
        assert!(
            section.contains(" more — <https://slr.example/status-page/incidents/7|all 500>"),
            "{section}"
        );
        assert!(message["text"].as_str().unwrap().chars().count() <= TEXT_CHARS);
    }

    #[test]
    fn a_small_event_is_named_whole() {
        let message = chat_message(
            WebhookFormat::Slack,
            "incident.created",
            &words(
                "Login failures",
                vec!["eu-prod".to_owned(), "us-prod".to_owned()],
            ),
            Some("https://slr.example/x"),
        );
        assert_eq!(message["text"], "incident.created: Login failures");
        assert_eq!(message["blocks"][0]["text"]["text"], "Login failures");
        let section = message["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(
            section.ends_with("\nYour impacted tenants (2): eu-prod, us-prod"),
            "{section}"
        );
    }

    #[test]
    fn teams_cards_show_markdown_as_written() {
        let message = chat_message(
            WebhookFormat::Teams,
            "incident.created",
            &words(
                "[Reset](https://evil.example/x) **now** - `1.`",
                vec![
                    "[Click](https://evil.example/y)".to_owned(),
                    "eu-prod".to_owned(),
                ],
            ),
            None,
        );
        let body = message["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        assert_eq!(
            body[0]["text"],
            r"\[Reset\]\(https://evil.example/x\) \*\*now\*\* - \`1.\`"
        );
        assert_eq!(
            body[2]["text"],
            r"Your impacted tenants (2): \[Click\]\(https://evil.example/y\), eu-prod"
        );
        assert_eq!(markdown_escape("- item"), r"\- item");
        assert_eq!(markdown_escape("1. item"), r"1\. item");
        assert_eq!(markdown_escape("# Heading"), r"\# Heading");
        assert_eq!(markdown_escape("> quote"), r"\> quote");
        assert_eq!(markdown_escape("a_b\\c"), r"a\_b\\c");
        assert_eq!(markdown_escape("globex-prod v1.2"), "globex-prod v1.2");
    }

    #[test]
    fn teams_cards_are_bounded_too() {
        let tenants: Vec<String> = (0..300)
            .map(|i| format!("{i}_{}", "(x)".repeat(66)))
            .collect();
        let message = chat_message(
            WebhookFormat::Teams,
            "maintenance.scheduled",
            &words(&"*".repeat(200), tenants),
            Some("https://slr.example/status-page/maintenances/3"),
        );
        assert!(
            message.to_string().len() < 8000,
            "{}",
            message.to_string().len()
        );
        let body = message["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        let line = body[2]["text"].as_str().unwrap();
        assert!(
            line.ends_with("more — [all 300](https://slr.example/status-page/maintenances/3)"),
            "{line}"
        );
    }

    #[test]
    fn fitting_never_cuts_inside_a_character_or_an_escape() {
        assert_eq!(fit("abc", 3, |t| t.to_owned()), "abc");
        assert_eq!(fit("abcd", 3, |t| t.to_owned()), "ab…");
        assert_eq!(fit("ééé", 2, |t| t.to_owned()), "é…");
        assert_eq!(fit("a&b", 6, slack_escape), "a…");
        assert_eq!(fit("a&b", 7, slack_escape), "a&amp;b");
        assert_eq!(one_line("a\n\n- b\r\n c"), "a - b c");
    }
}
