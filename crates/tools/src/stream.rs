//! Streamed upstream responses: server-sent events, JSON lines, or plain chunked text, parsed
//! incrementally into events and aggregated into one result within a size cap.

use std::collections::VecDeque;

use serde_json::{Value, json};

use crate::output::{Content, ToolOutput};

/// How a streamed body is split into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `text/event-stream`: one event per `data:` block.
    Sse,
    /// `application/x-ndjson`, `application/jsonl`, `application/json-seq`: one event per line.
    JsonLines,
    /// Any other text sent in chunks: one event per chunk.
    Text,
}

impl StreamKind {
    /// The kind for a content type, when it is an event stream or JSON lines.
    pub fn for_content_type(content_type: Option<&str>) -> Option<StreamKind> {
        let base = content_type?.split(';').next()?.trim().to_ascii_lowercase();
        match base.as_str() {
            "text/event-stream" => Some(StreamKind::Sse),
            "application/x-ndjson" | "application/jsonl" | "application/json-seq" | "application/x-jsonlines" => {
                Some(StreamKind::JsonLines)
            }
            _ => None,
        }
    }
}

/// One event of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The SSE event name (`event:`), if any.
    pub name: Option<String>,
    /// The payload (SSE `data:` lines joined with newlines; a line; a chunk of text).
    pub data: String,
}

impl Event {
    /// The payload as JSON when it is JSON, else as a string.
    pub fn value(&self) -> Value {
        let t = self.data.trim_start();
        if (t.starts_with('{') || t.starts_with('[') || t.starts_with('"'))
            && let Ok(v) = serde_json::from_str(&self.data)
        {
            return v;
        }
        Value::String(self.data.clone())
    }
}

/// Splits a byte stream into events, across chunk boundaries.
#[derive(Debug)]
pub struct EventParser {
    kind: StreamKind,
    buf: Vec<u8>,
    data: Vec<String>,
    name: Option<String>,
}

impl EventParser {
    /// A parser for one kind of stream.
    pub fn new(kind: StreamKind) -> EventParser {
        EventParser { kind, buf: Vec::new(), data: Vec::new(), name: None }
    }

    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        match self.kind {
            StreamKind::Text => {
                // keep an incomplete UTF-8 sequence for the next chunk
                let valid = match std::str::from_utf8(&self.buf) {
                    Ok(_) => self.buf.len(),
                    Err(e) if e.error_len().is_none() => e.valid_up_to(),
                    Err(_) => self.buf.len(),
                };
                if valid > 0 {
                    let text = String::from_utf8_lossy(&self.buf[..valid]).into_owned();
                    self.buf.drain(..valid);
                    out.push(Event { name: None, data: text });
                }
            }
            StreamKind::JsonLines | StreamKind::Sse => {
                while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                    let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    let line = String::from_utf8_lossy(&line).into_owned();
                    self.line(line, &mut out);
                }
            }
        }
        out
    }

    fn line(&mut self, line: String, out: &mut Vec<Event>) {
        match self.kind {
            StreamKind::JsonLines => {
                let l = line.trim_start_matches('\u{1e}'); // json-seq record separator
                if !l.trim().is_empty() {
                    out.push(Event { name: None, data: l.to_owned() });
                }
            }
            StreamKind::Sse => {
                if line.is_empty() {
                    if !self.data.is_empty() {
                        out.push(Event { name: self.name.take(), data: self.data.join("\n") });
                        self.data.clear();
                    }
                    self.name = None;
                    return;
                }
                if line.starts_with(':') {
                    return;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()),
                    None => (line, String::new()),
                };
                match field.as_str() {
                    "data" => self.data.push(value),
                    "event" => self.name = Some(value),
                    _ => {}
                }
            }
            StreamKind::Text => {}
        }
    }

    /// Ends the stream; returns a last event left without its terminator.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        if !self.buf.is_empty() {
            let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
            match self.kind {
                StreamKind::Text => out.push(Event { name: None, data: rest }),
                _ => self.line(rest, &mut out),
            }
        }
        if self.kind == StreamKind::Sse && !self.data.is_empty() {
            out.push(Event { name: self.name.take(), data: self.data.join("\n") });
            self.data.clear();
        }
        out
    }
}

/// Collects the events of a stream into one result, within a byte budget: the first events up
/// to half the budget and the last events within the other half are kept, and the number cut
/// in between is reported. Memory stays bounded however long the stream is.
#[derive(Debug)]
pub struct Aggregate {
    kind: StreamKind,
    cap: usize,
    head: Vec<Event>,
    head_bytes: usize,
    tail: VecDeque<Event>,
    tail_bytes: usize,
    count: u64,
    cut: u64,
}

impl Aggregate {
    /// An empty aggregate with a byte budget.
    pub fn new(kind: StreamKind, cap: usize) -> Aggregate {
        Aggregate {
            kind,
            cap: cap.max(2),
            head: Vec::new(),
            head_bytes: 0,
            tail: VecDeque::new(),
            tail_bytes: 0,
            count: 0,
            cut: 0,
        }
    }

    /// How many events so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds an event.
    pub fn push(&mut self, ev: Event) {
        self.count += 1;
        let size = ev.data.len() + 8;
        let half = self.cap / 2;
        if self.cut == 0 && self.tail.is_empty() && self.head_bytes + size <= half {
            self.head_bytes += size;
            self.head.push(ev);
            return;
        }
        self.tail_bytes += size;
        self.tail.push_back(ev);
        while self.tail_bytes > half {
            match self.tail.pop_front() {
                Some(old) => {
                    self.tail_bytes -= old.data.len() + 8;
                    self.cut += 1;
                }
                None => break,
            }
        }
    }

    /// The result: the events' text joined, and `{"events": [...], "count": N}` as structured
    /// content (with `cut` when events were left out).
    pub fn finish(self) -> ToolOutput {
        let sep = if self.kind == StreamKind::Text { "" } else { "\n" };
        let kept: Vec<&Event> = self.head.iter().chain(self.tail.iter()).collect();
        let mut text = String::new();
        let mut first = true;
        for (i, e) in kept.iter().enumerate() {
            if self.cut > 0 && i == self.head.len() {
                text.push_str(&format!("{sep}[toolgate: {} events cut to stay within the size cap]{sep}", self.cut));
                first = true;
            }
            if !first {
                text.push_str(sep);
            }
            first = false;
            text.push_str(&e.data);
        }
        let events: Vec<Value> = kept.iter().map(|e| e.value()).collect();
        let mut structured = json!({"events": events, "count": self.count});
        if self.cut > 0 {
            structured["cut"] = json!(format!(
                "events {}–{} of {} were left out to stay within the size cap",
                self.head.len() + 1,
                self.head.len() as u64 + self.cut,
                self.count
            ));
        }
        ToolOutput { content: vec![Content::Text(text)], structured: Some(structured), is_error: false }
    }
}

/// The output schema advertised for tools whose success response is a stream.
pub fn stream_output_schema() -> Value {
    json!({
        "type": "object",
        "description": "The events the API streamed, in order.",
        "properties": {
            "events": {"type": "array", "items": {}, "description": "Each event's payload (JSON when it is JSON, else text)"},
            "count": {"type": "integer", "description": "How many events arrived"},
            "cut": {"type": "string", "description": "Set when events were left out to stay within the size cap"}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(evs: &[Event]) -> Vec<&str> {
        evs.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn sse_events_span_chunks() {
        let mut p = EventParser::new(StreamKind::Sse);
        let mut evs = p.push(b"event: message\ndata: {\"a\"");
        assert!(evs.is_empty());
        evs.extend(p.push(b":1}\n\n: comment\ndata: line1\r\ndata: line2\n\nid: 3\ndata: last"));
        evs.extend(p.finish());
        assert_eq!(data(&evs), vec!["{\"a\":1}", "line1\nline2", "last"]);
        assert_eq!(evs[0].name.as_deref(), Some("message"));
        assert_eq!(evs[0].value(), json!({"a": 1}));
        assert_eq!(evs[1].value(), json!("line1\nline2"));
    }

    #[test]
    fn json_lines_and_text() {
        let mut p = EventParser::new(StreamKind::JsonLines);
        let mut evs = p.push(b"{\"n\":1}\n\n{\"n\"");
        evs.extend(p.push(b":2}\n{\"n\":3}"));
        evs.extend(p.finish());
        assert_eq!(data(&evs), vec!["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"]);
        let mut t = EventParser::new(StreamKind::Text);
        let snow = "snow ☃".as_bytes();
        let mut evs = t.push(&snow[..6]);
        evs.extend(t.push(&snow[6..]));
        assert_eq!(evs.iter().map(|e| e.data.clone()).collect::<String>(), "snow ☃");
    }

    #[test]
    fn aggregate_keeps_head_and_tail_within_budget() {
        let mut a = Aggregate::new(StreamKind::JsonLines, 200);
        for i in 0..1000 {
            a.push(Event { name: None, data: format!("{{\"i\":{i}}}") });
        }
        let out = a.finish();
        let s = out.structured.clone().unwrap_or_default();
        let events = s["events"].as_array().cloned().unwrap_or_default();
        assert_eq!(s["count"], json!(1000));
        assert!(events.len() < 30, "{}", events.len());
        assert_eq!(events.first(), Some(&json!({"i": 0})));
        assert_eq!(events.last(), Some(&json!({"i": 999})));
        assert!(s["cut"].as_str().unwrap_or_default().contains("of 1000"));
        assert!(out.joined_text().contains("events cut"));
    }

    #[test]
    fn aggregate_without_cut() {
        let mut a = Aggregate::new(StreamKind::Sse, 10_000);
        a.push(Event { name: None, data: "one".into() });
        a.push(Event { name: None, data: "{\"status\":\"complete\"}".into() });
        let out = a.finish();
        assert_eq!(out.joined_text(), "one\n{\"status\":\"complete\"}");
        assert_eq!(out.structured, Some(json!({"events": ["one", {"status": "complete"}], "count": 2})));
    }
}
