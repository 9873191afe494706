//! A model server's answer as it streams in (server-sent events of `chat.completion.chunk`, or
//! one plain JSON body), put together into text or a handoff.

use serde_json::Value;

/// What the model said: text, or a call of `handoff_to_human` with its reason.
#[derive(Debug, PartialEq)]
pub(super) enum Reply {
    Text(String),
    Handoff(String),
}

/// A streamed completion (server-sent events of `chat.completion.chunk`), put together.
#[derive(Default)]
pub(super) struct Stream {
    /// Everything received, for a server that answers with one plain JSON body.
    raw: Vec<u8>,
    pending: Vec<u8>,
    text: String,
    tool: Option<String>,
    arguments: String,
}

impl Stream {
    /// Takes in bytes as they arrive; true once the stream said it is done.
    pub(super) fn feed(&mut self, bytes: &[u8]) -> bool {
        if self.raw.len() < 1 << 20 {
            self.raw.extend_from_slice(bytes);
        }
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let Some(data) = line.trim().strip_prefix("data:") else { continue };
            let data = data.trim();
            if data == "[DONE]" {
                return true;
            }
            let Ok(chunk) = serde_json::from_str::<Value>(data) else { continue };
            // A server that ignores `stream` sends one whole completion instead.
            let delta = &chunk["choices"][0]["delta"];
            let message = &chunk["choices"][0]["message"];
            for part in [delta, message] {
                if let Some(text) = part["content"].as_str() {
                    self.text.push_str(text);
                }
                for call in part["tool_calls"].as_array().into_iter().flatten() {
                    if let Some(name) = call["function"]["name"].as_str() {
                        self.tool = Some(name.to_owned());
                    }
                    if let Some(arguments) = call["function"]["arguments"].as_str() {
                        self.arguments.push_str(arguments);
                    }
                }
            }
        }
        false
    }

    pub(super) fn reply(mut self) -> Reply {
        if self.text.is_empty() && self.tool.is_none() {
            // No events: a server that does not stream answers with the completion itself.
            let whole: Value = serde_json::from_slice(&self.raw).unwrap_or(Value::Null);
            let mut line = b"data: ".to_vec();
            line.extend_from_slice(whole.to_string().as_bytes());
            line.push(b'\n');
            self.raw.clear();
            self.pending.clear();
            self.feed(&line);
        }
        if self.tool.as_deref() == Some("handoff_to_human") {
            let arguments: Value = serde_json::from_str(&self.arguments).unwrap_or(Value::Null);
            let reason = arguments["reason"].as_str().unwrap_or("The AI asked for a human").to_owned();
            return Reply::Handoff(reason);
        }
        Reply::Text(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_text_and_tool_calls_are_put_together() {
        let mut stream = Stream::default();
        let chunks = [
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choi",
            "ces\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: [DONE]\n\n",
        ];
        let done: Vec<bool> = chunks.iter().map(|c| stream.feed(c.as_bytes())).collect();
        assert_eq!(done, [false, false, true]);
        assert_eq!(stream.reply(), Reply::Text("Hello".into()));

        let mut stream = Stream::default();
        stream.feed(b"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"handoff_to_human\",\"arguments\":\"{\\\"rea\"}}]}}]}\n");
        stream.feed(b"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"son\\\":\\\"angry\\\"}\"}}]}}]}\n");
        assert_eq!(stream.reply(), Reply::Handoff("angry".into()));
    }

    #[test]
    fn a_whole_completion_is_read_too() {
        let mut stream = Stream::default();
        stream.feed(b"{\"choices\":[{\"message\":{\"content\":\"Whole\"}}]}");
        assert_eq!(stream.reply(), Reply::Text("Whole".into()));
    }
}
