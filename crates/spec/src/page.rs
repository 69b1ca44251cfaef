//! What a docs page says besides its OpenAPI block: its tables, its JSON examples and the
//! enums it lists, read per section. The importer keeps these facts under `openapi/<api>/pages/`
//! (one YAML file per page) so that type inference and its measurement run from the
//! repository alone, and so that a page which only changes its layout changes nothing here.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The folder, relative to `openapi/`, that holds the facts of every imported v2 page.
pub const PAGES_DIR: &str = "pages/v2";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFacts {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    /// Prose lines that name two or more fields (`` `communityUserId` or `discord` ``).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Enum name (the page's `### CALL_STATUS` heading) -> its values, in page order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<EnumValue>>,
    /// The page's own example request, as its `cURL` tab sends it (the SDK tabs say the
    /// same in code). Tests hold the clients' requests against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestExample>,
}

/// An example request of a page's `{% tab title="cURL" %}`: `curl --request M --url "U"
/// --header "H: v" ... --data 'JSON'`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestExample {
    /// The tab it was read from (`cURL`).
    pub tab: String,
    pub method: String,
    /// As the page writes it: the docs' base URL, the path and the query.
    pub url: String,
    /// `Name: value`, in page order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// The `--data` argument: parsed JSON, or the text when it is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl RequestExample {
    /// Reads a cURL command (lines joined at their trailing `\`); `None` when it names no
    /// URL.
    pub fn from_curl(script: &str) -> Option<Self> {
        let joined = script
            .lines()
            .map(|l| l.trim_end().trim_end_matches('\\'))
            .collect::<Vec<_>>()
            .join(" ");
        let words = shell_words(&joined);
        let mut words = words.iter();
        let mut out = RequestExample {
            tab: "cURL".into(),
            method: String::new(),
            url: String::new(),
            headers: Vec::new(),
            body: None,
        };
        let mut data = None;
        while let Some(w) = words.next() {
            match w.as_str() {
                "curl" => {}
                "--request" | "-X" => out.method = words.next()?.to_ascii_uppercase(),
                "--url" => out.url = words.next()?.clone(),
                "--header" | "-H" => out.headers.push(words.next()?.clone()),
                "--data" | "--data-raw" | "--data-binary" | "-d" => data = words.next().cloned(),
                other if !other.starts_with('-') && out.url.is_empty() => out.url = other.into(),
                _ => {}
            }
        }
        if out.url.is_empty() {
            return None;
        }
        if out.method.is_empty() {
            out.method = if data.is_some() { "POST" } else { "GET" }.into();
        }
        out.body = data.map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d)));
        Some(out)
    }
}

/// Splits a shell command line into words: `'...'` literally, `"..."` with `\"` and `\\`
/// escapes, whitespace between.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                w.push(n);
                            }
                        }
                        c => w.push(c),
                    }
                }
            }
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// A markdown table and the `##` section it sits in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub section: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A JSON example (a ```` ```json ```` fence) and the `##` section it sits in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub section: String,
    pub json: Value,
}

/// A line of prose and the `##` section it sits in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub section: String,
    pub text: String,
}

impl Note {
    /// The camelCase names the line quotes in backticks, in order.
    pub fn names(&self) -> Vec<&str> {
        self.text
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| is_field_name(t))
            .collect()
    }
}

impl Note {
    /// The UPPER_SNAKE values the line quotes in backticks (`RSVP_SUCCESS`), in order.
    pub fn values(&self) -> Vec<&str> {
        self.text
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| {
                t.len() > 1 && is_enum_name(t) && t.starts_with(|c: char| c.is_ascii_uppercase())
            })
            .collect()
    }
}

/// `communityUserId`, `roblox`: a lower-case start, then letters and digits.
pub fn is_field_name(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && t.chars().all(|c| c.is_ascii_alphanumeric())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl PageFacts {
    pub fn to_yaml(&self, docs_page: &str) -> String {
        let body = serde_yaml_ng::to_string(self).expect("page facts are plain data");
        format!(
            "# extracted by `cargo xtask import-docs` from {docs_page} (tables, JSON examples, enums), do not edit\n{body}"
        )
    }

    /// Tables of the section whose title contains `needle` (case-insensitive).
    pub fn tables_in<'a>(&'a self, needle: &'a str) -> impl Iterator<Item = &'a Table> {
        self.tables
            .iter()
            .filter(move |t| t.section.to_ascii_lowercase().contains(needle))
    }

    pub fn samples_in<'a>(&'a self, needle: &'a str) -> impl Iterator<Item = &'a Value> {
        self.samples
            .iter()
            .filter(move |s| s.section.to_ascii_lowercase().contains(needle))
            .map(|s| &s.json)
    }
}

impl Table {
    /// The column whose header is one of `names` (case-insensitive).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| names.iter().any(|n| c.eq_ignore_ascii_case(n)))
    }
}

/// Reads the facts of one page. Example-request tabs (`{% tabs %}`...) are skipped (they
/// hold SDK snippets and the OpenAPI block, which is imported on its own), except the first
/// `cURL` tab's command: the page's example request.
pub fn facts(markdown: &str) -> PageFacts {
    let mut out = PageFacts::default();
    let mut section = String::new();
    let mut subsection = String::new();
    let mut lines = markdown.lines().peekable();
    let mut in_tabs = 0usize;
    let mut in_curl_tab = false;
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("{% tabs") {
            in_tabs += 1;
            continue;
        }
        if t.starts_with("{% endtabs") {
            in_tabs = in_tabs.saturating_sub(1);
            continue;
        }
        if in_tabs > 0 {
            if t.starts_with("{% tab ") {
                in_curl_tab = t.contains("title=\"cURL\"");
            } else if t.starts_with("{% endtab ") || t.starts_with("{% endtab%") {
                in_curl_tab = false;
            } else if in_curl_tab && out.request.is_none() && t.starts_with("```") {
                let mut script = String::new();
                for inner in lines.by_ref() {
                    if inner.trim() == "```" {
                        break;
                    }
                    script.push_str(inner);
                    script.push('\n');
                }
                out.request = RequestExample::from_curl(&script);
            }
            continue;
        }
        if let Some(fence) = ["```", "~~~"].into_iter().find(|f| t.starts_with(f)) {
            let lang = t[fence.len()..].trim().to_ascii_lowercase();
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner.trim() == fence {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            if (lang == "json" || lang == "jsonc")
                && let Some(json) = lenient_json(&body)
            {
                out.samples.push(Sample {
                    section: section.clone(),
                    json,
                });
            }
            continue;
        }
        if let Some(title) = t.strip_prefix("## ") {
            section = title.trim().to_string();
            subsection.clear();
            continue;
        }
        if t.starts_with("###") {
            subsection = t.trim_start_matches('#').trim().to_string();
            continue;
        }
        if !t.starts_with('|') && !t.starts_with('{') && !t.starts_with('>') && !section.is_empty()
        {
            let note = Note {
                section: section.clone(),
                text: t.to_string(),
            };
            let reply_enum =
                section.to_ascii_lowercase().contains("response") && note.values().len() >= 2;
            if note.names().len() >= 2 || reply_enum {
                out.notes.push(note);
            }
            continue;
        }
        if t.starts_with('|') {
            let mut rows = vec![cells(t)];
            // Some pages put a blank line between every line (CMS): a table whose header is
            // followed by blank lines and then its `| --- |` row goes on over blank lines.
            let mut ahead = lines.clone();
            let mut blanks = 0;
            while ahead.peek().is_some_and(|l| l.trim().is_empty()) {
                ahead.next();
                blanks += 1;
            }
            let spaced = blanks > 0 && ahead.peek().is_some_and(|l| is_separator_row(l));
            loop {
                if spaced {
                    let mut ahead = lines.clone();
                    let mut skip = 0;
                    while ahead.peek().is_some_and(|l| l.trim().is_empty()) {
                        ahead.next();
                        skip += 1;
                    }
                    if ahead.peek().is_some_and(|l| l.trim().starts_with('|')) {
                        for _ in 0..skip {
                            lines.next();
                        }
                    }
                }
                let Some(next) = lines.peek() else { break };
                if !next.trim().starts_with('|') {
                    break;
                }
                rows.push(cells(next.trim()));
                lines.next();
            }
            let columns = rows.remove(0);
            rows.retain(|r| !r.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':')));
            let is_enum = section.eq_ignore_ascii_case("Enumeration Values")
                && !subsection.is_empty()
                && columns
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case("value"));
            if is_enum {
                let values = rows
                    .iter()
                    .filter_map(|r| {
                        let raw = unquote(r.first()?);
                        let value = raw
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::from(raw));
                        let name = r.get(1).map(|n| unquote(n)).filter(|n| is_enum_name(n));
                        Some(EnumValue { value, name })
                    })
                    .collect();
                out.enums
                    .insert(subsection.trim_matches('`').to_string(), values);
            } else {
                out.tables.push(Table {
                    section: section.clone(),
                    columns,
                    rows,
                });
            }
        }
    }
    out
}

/// `| --- | :---: |`
fn is_separator_row(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn cells(row: &str) -> Vec<String> {
    row.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// `` `x` `` -> `x`.
pub fn unquote(cell: &str) -> String {
    cell.trim().trim_matches('`').trim().to_string()
}

fn is_enum_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// JSON as pages write it: strict first, then without `//` comment lines and trailing
/// commas. An example that is still not JSON (`...` placeholders) is no sample.
fn lenient_json(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    let mut cleaned = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let line = match line.find(" //") {
            Some(i) if !line[..i].contains('"') || line[..i].matches('"').count() % 2 == 0 => {
                &line[..i]
            }
            _ => line,
        };
        cleaned.push_str(line);
        cleaned.push('\n');
    }
    let mut out = String::with_capacity(cleaned.len());
    let chars: Vec<char> = cleaned.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    serde_json::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# Create\n\n## Path Parameters\n\n| Name | Type | Description |\n| --- | --- | --- |\n\
        | `serverId` | integer | Server. |\n\n## Request Body\n\n| Property | Type | Required | Description |\n\
        | --- | --- | --- | --- |\n| `status` | integer | Yes | See `CALL_STATUS` below. |\n\n\
        ```json\n{\n  \"status\": 1, // active\n  \"notes\": [],\n}\n```\n\n{% tabs %}\n{% tab title=\"x\" %}\n\
        ```json\n{\"ignored\": true}\n```\n{% endtab %}\n{% endtabs %}\n\n## Enumeration Values\n\n### CALL_STATUS\n\n\
        | Value | Description |\n| --- | --- |\n| `0` | `PENDING` |\n| `1` | `ACTIVE` |\n";

    #[test]
    fn reads_tables_samples_and_enums_by_section() {
        let f = facts(PAGE);
        assert_eq!(f.tables.len(), 2);
        assert_eq!(f.tables[0].section, "Path Parameters");
        assert_eq!(
            f.tables[1].rows,
            [["`status`", "integer", "Yes", "See `CALL_STATUS` below."]]
        );
        assert_eq!(f.samples.len(), 1, "the sample inside the tabs is skipped");
        assert_eq!(f.samples[0].section, "Request Body");
        assert!(f.notes.is_empty(), "no prose names two fields");
        let n = facts(
            "## Request Body\n\nUse `communityUserId` by default, or `roblox` (`211` is no name).\n",
        );
        assert_eq!(n.notes.len(), 1);
        assert_eq!(n.notes[0].names(), ["communityUserId", "roblox"]);
        assert_eq!(
            f.samples[0].json,
            serde_json::json!({"status": 1, "notes": []})
        );
        let e = &f.enums["CALL_STATUS"];
        assert_eq!(e[1].value, 1);
        assert_eq!(e[1].name.as_deref(), Some("ACTIVE"));
    }

    #[test]
    fn reads_the_curl_tab_as_the_example_request() {
        let page = "## Example Request\n\n{% tabs %}\n{% tab title=\"Sonoran.py\" %}\n```python\nx = 1\n```\n\
            {% endtab %}\n\n{% tab title=\"cURL\" %}\n\n```bash\n\ncurl --request PATCH \\\n\n  --url \"https://x.test/v2/a/1?skip=0&take=25\" \\\n\
            \n  --header \"Authorization: Bearer YOUR_API_KEY\" \\\n  --data '{\"name\":\"x y\"}'\n```\n{% endtab %}\n{% endtabs %}\n";
        let r = facts(page).request.expect("the cURL tab");
        assert_eq!(r.tab, "cURL");
        assert_eq!(r.method, "PATCH");
        assert_eq!(r.url, "https://x.test/v2/a/1?skip=0&take=25");
        assert_eq!(r.headers, ["Authorization: Bearer YOUR_API_KEY"]);
        assert_eq!(r.body, Some(serde_json::json!({"name": "x y"})));
        let text = RequestExample::from_curl(r#"curl --url u --data 'a=b&c="d"'"#).unwrap();
        assert_eq!(text.body, Some(Value::String(r#"a=b&c="d""#.into())));
        let get = RequestExample::from_curl("curl \"https://x.test/a\" -H 'Accept: */*'").unwrap();
        assert_eq!(
            (get.method.as_str(), get.url.as_str()),
            ("GET", "https://x.test/a")
        );
        assert_eq!(get.body, None);
        let post = RequestExample::from_curl("curl -X post --url u -d '{\"a\": [1]}'").unwrap();
        assert_eq!(post.method, "POST");
        assert_eq!(post.body, Some(serde_json::json!({"a": [1]})));
        assert_eq!(RequestExample::from_curl("curl --request GET"), None);
        assert_eq!(facts(PAGE).request, None, "no cURL tab");
    }

    #[test]
    fn facts_round_trip_through_yaml() {
        let f = facts(PAGE);
        let text = f.to_yaml("x.md");
        let back: PageFacts = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, f);
    }
}
