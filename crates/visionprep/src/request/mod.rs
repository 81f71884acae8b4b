//! Putting images into request bodies the API accepts the first time.
//!
//! [`pack`] splits images, in order, into the fewest bodies that each respect every limit of
//! a profile: the image count, the 2000 px rule past 20 images, the per-image base64 cap and
//! the whole body's size, computed exactly (the length of the bytes `serde_json` writes).
//! Earlier turns of a conversation ([`PackOptions::history`]) go in every body and count
//! toward every limit. [`Conversation`] builds one body turn by turn. Either way the images
//! of a user turn come first, each introduced by `Image 1:`, `Image 2:`, ... when the body
//! holds several, then the prompt (SPEC section 5).

mod batch_create;
pub mod batches;
mod body;
mod check;
mod conversation;
mod count;
#[cfg(feature = "count")]
mod count_run;
mod facts;
mod file;
mod finding;
mod folder;
mod format;
mod gate;
mod inspect;
mod pack;
mod read;
mod repair;
mod rewrite;
mod session;

pub use batch_create::{
    BatchCreateRepair, BatchRequestRepair, is_batch_create, repair_batch_create,
};
pub use check::{check, check_bytes, check_document, check_lines};
pub use conversation::Conversation;
pub use count::{COUNT_FIELDS, CountBody, CountRefusal, count_bodies};
#[cfg(feature = "count")]
pub use count::{CountClient, CountError, Counted};
#[cfg(feature = "count")]
pub use count_run::{CountRow, count_files};
pub use file::{FileRepair, RepairTarget, repair_file};
pub use finding::{
    CheckOptions, CheckReport, CheckVerdict, Finding, FindingCode, RequestSummary, Severity,
};
pub use folder::{
    RequestEvent, RequestRun, RequestRunError, RequestRunSummary, WrittenBody, request_folder,
};
pub use format::{InputFormat, LinesError, LinesInput, UnknownInputFormat, detect_format};
pub use gate::{Endpoint, GateStats, Gated, gate, gate_owned};
pub use pack::{PackError, PackImage, PackOptions, Packer, Part, pack};
pub use read::{Document, DocumentKind, ReadError};
pub use repair::{repair_document, repair_lines};
pub use rewrite::{Change, ChangeKind, RepairOptions, RepairReport};
pub use session::LinesRepair;

/// FNV-1a, 64 bits, over `bytes`: a fixed hash (the same on every machine, run and version),
/// for ids that must not change (session entries, Message Batches custom ids).
pub(crate) fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::pack::json_len;
    use super::*;
    use visionprep_core::request::{ContentBlock, ImageSource, Message, MessagesRequest, System};
    use visionprep_core::{RequestLimits, Size};

    fn image(side: u32, data_len: usize) -> PackImage {
        PackImage::base64("image/png", "A".repeat(data_len), Size::new(side, side))
    }

    fn options() -> PackOptions {
        let mut o = PackOptions::new(
            "claude-sonnet-4-5",
            "Compare these images.",
            RequestLimits::portable(),
        );
        o.system = Some(System::from("Answer \"briefly\"."));
        o
    }

    #[test]
    fn one_image_has_no_label_several_do() {
        let one = pack(&[image(100, 8)], &options()).unwrap();
        assert_eq!(one.len(), 1);
        let json = serde_json::to_string(&one[0]).unwrap();
        assert_eq!(
            json,
            r#"{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"Answer \"briefly\".","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAAAAAA"}},{"type":"text","text":"Compare these images."}]}]}"#
        );
        let two = pack(&[image(100, 4), image(100, 4)], &options()).unwrap();
        let texts: Vec<String> = two[0].messages[0]
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["Image 1:", "Image 2:", "Compare these images."]);
    }

    #[test]
    fn the_2000px_rule_splits_21_images() {
        // 21 images, one of them 2400 px: a body of 21 would break the many-image rule.
        let mut images: Vec<PackImage> = (0..21).map(|_| image(1000, 4)).collect();
        images[20] = image(2400, 4);
        let bodies = pack(&images, &options()).unwrap();
        let counts: Vec<usize> = bodies.iter().map(|b| b.images().count()).collect();
        assert_eq!(counts, [20, 1]);
        // All 21 small: one body.
        let small: Vec<PackImage> = (0..21).map(|_| image(2000, 4)).collect();
        assert_eq!(pack(&small, &options()).unwrap().len(), 1);
        // 101 images: two bodies of at most 100.
        let many: Vec<PackImage> = (0..101).map(|_| image(500, 4)).collect();
        let counts: Vec<usize> = pack(&many, &options())
            .unwrap()
            .iter()
            .map(|b| b.images().count())
            .collect();
        assert_eq!(counts, [100, 1]);
    }

    #[test]
    fn check_names_each_offending_block() {
        use visionprep_core::request::base64_encode;
        let png = {
            let mut v =
                b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x23\x28\0\0\x00\x10\x08\x02\0\0\0\0\0\0\0"
                    .to_vec();
            v.extend_from_slice(b"\0\0\0\0IDAT\0\0\0\0\0\0\0\0IEND\xaeB`\x82");
            v
        };
        let block = |media: &str, data: String| {
            ContentBlock::image(ImageSource::Base64 {
                media_type: media.into(),
                data,
            })
        };
        let body = MessagesRequest::new(
            "m",
            10,
            vec![Message::user(vec![
                block("image/jpeg", base64_encode(&png)),
                block(
                    "image/png",
                    format!("data:image/png;base64,{}", base64_encode(&png)),
                ),
                block("image/png", "@@@@".into()),
                block("image/png", base64_encode(b"hello there")),
                ContentBlock::image(ImageSource::Url {
                    url: "https://x".into(),
                }),
                ContentBlock::text("?"),
            ])],
        );
        let (img, src) = ("messages.0.content.", ".image.source.base64");
        let found: Vec<(String, FindingCode)> = check(&body, &RequestLimits::portable())
            .into_iter()
            .map(|f| (f.path, f.code))
            .collect();
        assert_eq!(
            found,
            [
                (format!("{img}0{src}"), FindingCode::MediaTypeMismatch),
                (format!("{img}0{src}"), FindingCode::OverMaxSide),
                (format!("{img}1{src}"), FindingCode::DataUrlPrefix),
                // The data behind the prefix is read anyway: its size is checked too.
                (format!("{img}1{src}"), FindingCode::OverMaxSide),
                (format!("{img}2{src}"), FindingCode::InvalidBase64),
                (format!("{img}3{src}"), FindingCode::NotAnImage),
            ]
        );
        // Packed bodies pass.
        let packed = pack(&[image(100, 8)], &options()).unwrap();
        assert!(
            check(&packed[0], &RequestLimits::portable())
                .iter()
                .all(|f| f.code == FindingCode::NotAnImage)
        );
    }

    #[test]
    fn history_counts_toward_every_limit() {
        // 15 images of unknown size earlier in the conversation: a body may then hold only 5
        // new images, since past 20 the 2000 px rule could not be checked.
        let mut opts = options();
        let earlier: Vec<PackImage> = (0..15)
            .map(|i| PackImage::url(format!("https://example.com/{i}.png")))
            .collect();
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&earlier, "What changed?").assistant("Nothing.");
        opts.history = chat.request().messages.clone();
        let bodies = pack(&vec![image(1000, 4); 10], &opts).unwrap();
        assert_eq!(bodies.len(), 2);
        for b in &bodies {
            assert_eq!(b.images().count(), 20);
            assert_eq!(b.messages.len(), 3);
            assert_eq!(b.messages[..2], opts.history[..]);
            assert!(
                check(b, &opts.limits)
                    .iter()
                    .all(|f| f.code == FindingCode::NotAnImage)
            );
        }
        // Labels go on numbering after the history's images.
        let ContentBlock::Text { text } = &bodies[1].messages[2].content[0] else {
            panic!("no label");
        };
        assert_eq!(text, "Image 16:");
        // Known sizes under 2000 px: 15 + 10 fit one body.
        let sized: Vec<PackImage> = earlier
            .iter()
            .map(|i| i.clone().with_size(Size::new(1500, 1000)))
            .collect();
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&sized, "What changed?").assistant("Nothing.");
        // Sizes of URL images are not in the JSON: the history only knows it has 15 images.
        opts.history = chat.request().messages.clone();
        assert_eq!(pack(&vec![image(1000, 4); 10], &opts).unwrap().len(), 2);
        // A history over 100 images cannot be continued.
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&vec![PackImage::url("https://example.com/x.png"); 101], "?");
        opts.history = chat.request().messages.clone();
        let err = pack(&[image(100, 4)], &opts).unwrap_err();
        assert!(matches!(err, PackError::HistoryTooLarge { .. }), "{err}");
    }

    #[test]
    fn conversation_labels_and_round_trips() {
        let mut chat = Conversation::new("claude-sonnet-4-5", 512);
        chat.system("Be brief.")
            .user(&[image(10, 4), PackImage::file("file_1")], "Compare.")
            .assistant("Same.")
            .user(&[], "Sure?");
        let json = serde_json::to_string(chat.request()).unwrap();
        assert_eq!(
            json,
            r#"{"model":"claude-sonnet-4-5","max_tokens":512,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Image 1:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"text","text":"Image 2:"},{"type":"image","source":{"type":"file","file_id":"file_1"}},{"type":"text","text":"Compare."}]},{"role":"assistant","content":[{"type":"text","text":"Same."}]},{"role":"user","content":[{"type":"text","text":"Sure?"}]}]}"#
        );
        let back: MessagesRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(Conversation::from_request(back), chat);
    }

    #[test]
    fn packer_reports_an_image_that_cannot_fit_and_goes_on() {
        let cap = RequestLimits::portable().max_image_base64_bytes as usize;
        let opts = options();
        let mut packer = Packer::new(&opts).unwrap();
        assert_eq!(packer.push(image(100, 4)).unwrap(), None);
        let err = packer.push(image(100, cap + 4)).unwrap_err();
        assert!(
            matches!(err, PackError::ImageTooLarge { index: 1, .. }),
            "{err}"
        );
        assert_eq!(packer.push(image(100, 4)).unwrap(), None);
        assert_eq!(packer.pending(), 2);
        let last = packer.finish().unwrap();
        assert_eq!(last.images().count(), 2);
    }

    #[test]
    fn block_length_is_the_serialised_length() {
        for image in [
            image(100, 7),
            PackImage::url("https://example.com/a \"quoted\" \\ path.png"),
            PackImage::file("file_\u{e9}\n"),
        ] {
            assert_eq!(image.block_len(), json_len(&image.block()), "{image:?}");
        }
    }

    #[test]
    fn images_that_can_never_fit_are_errors() {
        let cap = RequestLimits::portable().max_image_base64_bytes as usize;
        let err = pack(&[image(100, 4), image(100, cap + 4)], &options()).unwrap_err();
        assert!(
            matches!(err, PackError::ImageTooLarge { index: 1, .. }),
            "{err}"
        );
        let err = pack(&[image(9000, 4)], &options()).unwrap_err();
        assert!(err.to_string().contains("8000"), "{err}");
    }

    fn tile(index: u32, count: u32) -> PackImage {
        image(800, 8).with_part(Part {
            index,
            count,
            region: format!("rows {}-{}", index * 100, index * 100 + 120),
        })
    }

    fn labels(body: &MessagesRequest) -> Vec<String> {
        let json = serde_json::to_value(body).unwrap();
        json["messages"][0]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["text"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn tiles_share_their_image_number_and_stay_together() {
        // claude.ai takes 20 images a message: 18 photos, then a page of 4 tiles, which would
        // not fit beside them but fits a body of its own.
        let mut o = options();
        o.limits = visionprep_core::Profile::ClaudeAi.limits();
        let mut packer = Packer::new(&o).unwrap();
        let mut bodies = Vec::new();
        for _ in 0..18 {
            bodies.extend(packer.push(image(800, 8)).unwrap());
        }
        bodies.extend(
            packer
                .push_group((0..4).map(|i| tile(i, 4)).collect())
                .unwrap(),
        );
        bodies.extend(packer.push(image(800, 8)).unwrap());
        bodies.extend(packer.finish());
        let counts: Vec<usize> = bodies.iter().map(|b| b.images().count()).collect();
        assert_eq!(counts, [18, 5]);
        assert_eq!(
            labels(&bodies[1]),
            [
                "Image 1, part 1 of 4: rows 0-120",
                "Image 1, part 2 of 4: rows 100-220",
                "Image 1, part 3 of 4: rows 200-320",
                "Image 1, part 4 of 4: rows 300-420",
                "Image 2:",
                "Compare these images."
            ]
        );
        // A page of more tiles than a body holds is split, its parts keeping their numbers; a
        // body holding one tile alone still says which part it is.
        let mut packer = Packer::new(&o).unwrap();
        let mut bodies = packer
            .push_group((0..21).map(|i| tile(i, 21)).collect())
            .unwrap();
        bodies.extend(packer.finish());
        let counts: Vec<usize> = bodies.iter().map(|b| b.images().count()).collect();
        assert_eq!(counts, [20, 1]);
        assert_eq!(
            labels(&bodies[1])[0],
            "Image 1, part 21 of 21: rows 2000-2120"
        );
        // The packer's size arithmetic matches the bodies it writes.
        for b in &bodies {
            assert!((serde_json::to_vec(b).unwrap().len() as u64) <= o.limits.max_request_bytes);
        }
    }
}
