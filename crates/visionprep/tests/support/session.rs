//! A Claude Code session file written the way the agent writes it (JSON Lines, one entry per
//! line, `parentUuid` chains, tool results holding screenshots, `toolUseResult` mirrors,
//! snapshots and hook events), with known faults planted in it. Shared by the library's and
//! the command line's tests.

#![allow(dead_code)]

use image::{ImageEncoder, RgbImage};

// Loaded here too (the library's tests also load it for `make`): this file is shared with the
// CLI's tests, which have no `make`.
#[allow(clippy::duplicate_mod)]
#[path = "png_chunk.rs"]
mod png_chunk;

/// What `check` must find on one line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Expected {
    pub(crate) line: usize,
    pub(crate) uuid: String,
    pub(crate) path: String,
    pub(crate) code: &'static str,
}

/// A generated session and the errors planted in it.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) text: String,
    pub(crate) expected: Vec<Expected>,
    /// Lines holding images on an abandoned branch (rewound by the user): not re-sent.
    pub(crate) off_chain: Vec<usize>,
    /// The uuid of the last entry.
    pub(crate) last: String,
}

pub(crate) const SESSION_ID: &str = "5f0c8a52-3d1e-4f7a-9b6c-2a8e4d1c7b90";
pub(crate) const MODEL: &str = "claude-sonnet-4-6";

/// A screenshot-like PNG: bars of colour and "text" rows, which compresses as screenshots do.
pub(crate) fn screenshot(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        if y < 40 {
            image::Rgb([30, 30, 40 + seed])
        } else if (y / 14) % 3 == 0 && (x / 7 + u32::from(seed)) % 11 < 8 && x > 60 {
            image::Rgb([20, 20, 20])
        } else {
            image::Rgb([250, 250, 250 - seed])
        }
    });
    png_of(&img)
}

fn png_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    )
    .write_image(
        img,
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out
}

/// A small screenshot carrying 4 MB of text in a `tEXt` chunk (a tool that stores its state
/// in the file): over 5 MiB once in base64, though its pixels are few.
pub(crate) fn bloated_png() -> Vec<u8> {
    let png = screenshot(900, 600, 7);
    let mut body = b"Comment\0".to_vec();
    body.extend(std::iter::repeat_n(b'x', 4 << 20));
    let chunk = png_chunk::png_chunk(b"tEXt", &body);
    // After the signature and IHDR (8 + 25 bytes).
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[33..]);
    out
}

pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .write_image(&img, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    visionprep::core::request::base64_encode(bytes)
}

pub(crate) fn uuid(n: u32) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        n.wrapping_mul(2_654_435_761),
        n & 0xffff,
        n % 0xfff,
        (n * 7) % 0xfff,
        u64::from(n) * 1_000_003
    )
}

struct Writer {
    lines: Vec<String>,
    next: u32,
    parent: Option<String>,
    minute: u32,
}

impl Writer {
    fn stamp(&mut self) -> String {
        self.minute += 1;
        format!(
            "2026-11-30T{:02}:{:02}:{:02}.{:03}Z",
            9 + self.minute / 3600,
            (self.minute / 60) % 60,
            self.minute % 60,
            (self.minute * 37) % 1000
        )
    }

    /// An entry as Claude Code writes it: envelope fields, then `type`, `message`, `uuid`,
    /// `timestamp`, and `extra` members. Returns its line number and uuid.
    fn entry(&mut self, kind: &str, message: &str, extra: &str) -> (usize, String) {
        self.next += 1;
        let id = uuid(self.next);
        let parent = match &self.parent {
            Some(p) => format!("\"{p}\""),
            None => "null".to_owned(),
        };
        let stamp = self.stamp();
        self.lines.push(format!(
            "{{\"parentUuid\":{parent},\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/dev/shop\",\"sessionId\":\"{SESSION_ID}\",\"version\":\"2.0.61\",\"gitBranch\":\"fix/checkout\",\"type\":\"{kind}\",\"message\":{message},\"uuid\":\"{id}\",\"timestamp\":\"{stamp}\"{extra}}}"
        ));
        self.parent = Some(id.clone());
        (self.lines.len(), id)
    }

    fn raw(&mut self, line: String) {
        self.lines.push(line);
    }

    fn assistant_tool(&mut self, tool: &str, input: &str, model: &str) -> String {
        let call = format!("toolu_01{:022}", self.next);
        let message = format!(
            "{{\"id\":\"msg_01{:022}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[{{\"type\":\"tool_use\",\"id\":\"{call}\",\"name\":\"{tool}\",\"input\":{input}}}],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{{\"input_tokens\":4,\"cache_creation_input_tokens\":812,\"cache_read_input_tokens\":24310,\"output_tokens\":61,\"service_tier\":\"standard\"}}}}",
            self.next
        );
        let extra = format!(",\"requestId\":\"req_011C{:018}\"", self.next);
        self.entry("assistant", &message, &extra);
        call
    }

    fn assistant_text(&mut self, text: &str, model: &str) {
        let message = format!(
            "{{\"id\":\"msg_01{:022}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{{\"input_tokens\":4,\"output_tokens\":120}}}}",
            self.next
        );
        self.entry("assistant", &message, "");
    }

    /// A tool result holding one image, mirrored in `toolUseResult` the way the Read tool
    /// (`file`) or an MCP tool (a list of blocks) keeps it.
    fn image_result(
        &mut self,
        call: &str,
        media_type: &str,
        data: &str,
        read: bool,
    ) -> (usize, String) {
        let message = format!(
            "{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"{call}\",\"type\":\"tool_result\",\"content\":[{{\"type\":\"image\",\"source\":{{\"type\":\"base64\",\"media_type\":\"{media_type}\",\"data\":\"{data}\"}}}}]}}]}}"
        );
        let extra = if read {
            format!(
                ",\"toolUseResult\":{{\"type\":\"image\",\"file\":{{\"base64\":\"{data}\",\"type\":\"{media_type}\",\"originalSize\":{}}}}}",
                data.len() / 4 * 3
            )
        } else {
            format!(
                ",\"toolUseResult\":[{{\"type\":\"image\",\"source\":{{\"type\":\"base64\",\"media_type\":\"{media_type}\",\"data\":\"{data}\"}}}}]"
            )
        };
        self.entry("user", &message, &extra)
    }

    fn text_result(&mut self, call: &str, text: &str) {
        let message = format!(
            "{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"{call}\",\"type\":\"tool_result\",\"content\":\"{text}\"}}]}}"
        );
        let extra = format!(
            ",\"toolUseResult\":{{\"stdout\":\"{text}\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}}"
        );
        self.entry("user", &message, &extra);
    }

    fn progress(&mut self, hook: &str) {
        self.next += 1;
        let id = uuid(self.next);
        let parent = self.parent.clone().unwrap_or_default();
        let stamp = self.stamp();
        // Hook events hang off the chain without being part of it.
        self.raw(format!(
            "{{\"parentUuid\":\"{parent}\",\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/dev/shop\",\"sessionId\":\"{SESSION_ID}\",\"version\":\"2.0.61\",\"type\":\"progress\",\"data\":{{\"type\":\"hook_progress\",\"hookEvent\":\"{hook}\",\"hookName\":\"{hook}:lint\"}},\"toolUseID\":\"toolu_x\",\"uuid\":\"{id}\",\"timestamp\":\"{stamp}\"}}"
        ));
    }
}

/// 300+ entries: a user fixing a checkout page with a browser tool. Planted: 25 screenshots
/// of 2100x700 re-sent together with 9 more images (so over 20: the 2000 px rule), one PNG
/// over 5 MiB of base64, one JPEG labelled PNG, one image block holding a YAML file (not an
/// image), and a rewound branch whose 2400x1300 screenshot is not re-sent.
pub(crate) fn claude_code_session() -> Session {
    // Made once per test binary: its images take a second to encode.
    static MADE: std::sync::OnceLock<Session> = std::sync::OnceLock::new();
    MADE.get_or_init(make_session).clone()
}

fn make_session() -> Session {
    let mut w = Writer {
        lines: Vec::new(),
        next: 0,
        parent: None,
        minute: 0,
    };
    let mut expected = Vec::new();
    let path = "message.content.0.tool_result.content.0.image.source.base64".to_owned();
    w.raw(format!(
        "{{\"type\":\"summary\",\"summary\":\"Checkout page: fix the layout of the payment form\",\"leafUuid\":\"{}\"}}",
        uuid(9999)
    ));
    w.raw("{\"type\":\"file-history-snapshot\",\"messageId\":\"m0\",\"snapshot\":{\"messageId\":\"m0\",\"trackedFileBackups\":{},\"timestamp\":\"2026-11-30T09:00:00.000Z\"},\"isSnapshotUpdate\":false}".to_owned());
    w.entry(
        "user",
        "{\"role\":\"user\",\"content\":\"The checkout page looks broken on wide screens \\u2014 the card form overlaps the summary. Can you fix it? Caf\\u00e9 \\ud83d\\ude00\"}",
        "",
    );
    let big = b64(&screenshot(2100, 700, 3));
    let small = b64(&screenshot(1280, 720, 9));
    let fork_at;
    // Turns of reading code and running tests, with a screenshot every few turns.
    let mut shots = 0;
    let mut turn = 0;
    loop {
        turn += 1;
        let call = w.assistant_tool(
            "Read",
            &format!("{{\"file_path\":\"/home/dev/shop/src/checkout/Form{turn}.tsx\"}}"),
            MODEL,
        );
        w.progress("PostToolUse");
        w.text_result(
            &call,
            &format!("     1\\texport function Form{turn}() {{\\n     2\\t  return <div className=\\\"card\\\">{turn}</div>;\\n     3\\t}}\\n"),
        );
        if turn % 3 == 0 && shots < 25 {
            shots += 1;
            let call = w.assistant_tool(
                "mcp__playwright__browser_take_screenshot",
                "{\"fullPage\":false}",
                MODEL,
            );
            let (line, id) = w.image_result(&call, "image/png", &big, false);
            expected.push(Expected {
                line,
                uuid: id,
                path: path.clone(),
                code: "over-max-side",
            });
        } else if turn % 10 == 5 {
            let call = w.assistant_tool(
                "Read",
                "{\"file_path\":\"/home/dev/shop/docs/mobile.png\"}",
                MODEL,
            );
            w.image_result(&call, "image/png", &small, true);
        }
        if turn == 75 {
            // The user rewinds here later: this branch is abandoned.
            fork_at = w.parent.clone();
            break;
        }
    }
    let call = w.assistant_tool(
        "mcp__playwright__browser_take_screenshot",
        "{\"fullPage\":true}",
        MODEL,
    );
    let off = b64(&screenshot(2400, 1300, 5));
    let (off_line, _) = w.image_result(&call, "image/png", &off, false);
    w.assistant_text("The form now wraps below 1200px.", MODEL);
    // Rewound: the next entry hangs off the fork point.
    w.parent = fork_at;
    w.entry(
        "user",
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"No, keep the two columns; shrink the summary instead.\"}]}",
        "",
    );
    let planted: [(&str, String, &'static str, bool); 3] = [
        ("image/png", b64(&bloated_png()), "over-byte-limit", true),
        (
            "image/png",
            b64(&jpeg(800, 600)),
            "media-type-mismatch",
            false,
        ),
        (
            "image/png",
            b64(b"logo:\n  src: \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA\"\n  alt: Shop\n"),
            "not-an-image",
            true,
        ),
    ];
    for (i, (media_type, data, code, read)) in planted.iter().enumerate() {
        for extra in 0..6 {
            let call = w.assistant_tool(
                "Bash",
                &format!("{{\"command\":\"npm test -- checkout{i}{extra}\",\"description\":\"Run the checkout tests\"}}"),
                MODEL,
            );
            w.progress("PreToolUse");
            w.text_result(
                &call,
                &format!("PASS src/checkout/step{i}{extra}.test.tsx (1.{extra}2 s)"),
            );
        }
        let tool = if *read {
            "Read"
        } else {
            "mcp__playwright__browser_take_screenshot"
        };
        let call = w.assistant_tool(tool, "{\"file_path\":\"/home/dev/shop/assets/x\"}", MODEL);
        let (line, id) = w.image_result(&call, media_type, data, *read);
        expected.push(Expected {
            line,
            uuid: id,
            path: path.clone(),
            code,
        });
    }
    // More text turns, with spacing and escapes of another writer's style on a few lines.
    for turn in 0..40 {
        let call = w.assistant_tool(
            "Edit",
            &format!("{{\"file_path\":\"/home/dev/shop/src/checkout/Summary.tsx\",\"old_string\":\"width: {turn}px\",\"new_string\":\"width: {}px\"}}", turn + 1),
            MODEL,
        );
        w.text_result(
            &call,
            "The file /home/dev/shop/src/checkout/Summary.tsx has been updated.",
        );
        if turn % 8 == 0 {
            w.raw(format!(
                "{{\"type\": \"file-history-snapshot\", \"messageId\": \"m{turn}\", \"snapshot\": {{\"trackedFileBackups\": {{\"src/checkout/Summary.tsx\": {{\"backupFileName\": \"a1b2@v{turn}\", \"version\": {turn}}}}}}}, \"isSnapshotUpdate\": true}}"
            ));
        }
    }
    // A failed request, noted by the agent as a synthetic assistant message.
    w.assistant_text(
        "API Error: 400 {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"invalid_request_error\\\",\\\"message\\\":\\\"messages.41.content.0.tool_result.content.0.image.source.base64: image exceeds 5 MB maximum\\\"}}",
        "<synthetic>",
    );
    let (_, last) = w.entry("user", "{\"role\":\"user\",\"content\":\"continue\"}", "");
    expected.sort();
    let mut text = w.lines.join("\n");
    text.push('\n');
    Session {
        text,
        expected,
        off_chain: vec![off_line],
        last,
    }
}
