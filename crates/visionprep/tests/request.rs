//! Packing prepared images into request bodies: properties and an end-to-end check.

use crate::make::{self, JpegKind};
use proptest::prelude::*;
use visionprep::core::request::{ContentBlock, ImageSource, Message, base64_decode};
use visionprep::core::{RequestLimits, Size, sniff};
use visionprep::prepare::{PrepareOptions, prepare};
use visionprep::request::{Conversation, PackImage, PackOptions, pack};

fn image(i: usize, side: u32, data_len: usize) -> PackImage {
    // Data by position (A..Z, then again), so order can be checked.
    let c = char::from(b'A' + (i % 26) as u8);
    PackImage::base64(
        "image/jpeg",
        c.to_string().repeat(data_len),
        Size::new(side, side / 2),
    )
}

fn data(image: &PackImage) -> String {
    match image.source() {
        ImageSource::Base64 { data, .. } => data.clone(),
        other => panic!("not base64: {other:?}"),
    }
}

fn options(limits: RequestLimits) -> PackOptions {
    let mut o = PackOptions::new("claude-sonnet-4-5", "Describe each image.", limits);
    o.max_tokens = 512;
    o
}

/// Earlier turns: `urls` images given by URL (size unknown), then an answer.
fn history(urls: usize) -> Vec<Message> {
    let mut chat = Conversation::new("claude-sonnet-4-5", 512);
    let images: Vec<PackImage> = (0..urls)
        .map(|i| PackImage::url(format!("https://example.com/{i}.jpg")))
        .collect();
    chat.user(&images, "Look at these first.")
        .assistant("Done.");
    chat.into_request().messages
}

/// Whether images[a..b] fit one body, checked on the real serialised body.
fn fits_one(images: &[PackImage], opts: &PackOptions) -> bool {
    pack(images, opts).is_ok_and(|b| b.len() == 1)
}

/// The fewest bodies for an order-preserving split, by dynamic programming over all splits.
fn fewest(images: &[PackImage], opts: &PackOptions) -> usize {
    let n = images.len();
    let mut best = vec![usize::MAX; n + 1];
    best[0] = 0;
    for end in 1..=n {
        for start in 0..end {
            if best[start] != usize::MAX && fits_one(&images[start..end], opts) {
                best[end] = best[end].min(best[start] + 1);
            }
        }
    }
    best[n]
}

fn any_images() -> impl Strategy<Value = Vec<PackImage>> {
    prop::collection::vec((100u32..3000, 1usize..400), 1..30).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (side, len))| image(i, side, len))
            .collect()
    })
}

fn small_limits() -> impl Strategy<Value = RequestLimits> {
    (2u32..8, 1u32..5, 1500u64..6000).prop_map(|(max_images, threshold, body)| RequestLimits {
        max_images,
        many_images_threshold: threshold,
        max_side_many_images: 2000,
        max_image_base64_bytes: 400,
        max_request_bytes: body,
        ..RequestLimits::portable()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn packing_keeps_order_respects_limits_and_is_minimal(images in any_images(), limits in small_limits(), earlier in 0usize..3) {
        let mut opts = options(limits);
        opts.history = history(earlier);
        let Ok(bodies) = pack(&images, &opts) else {
            // Only an image too large to go alone (after the history) may make packing fail.
            prop_assert!(images.iter().any(|i| !fits_one(std::slice::from_ref(i), &opts)));
            return Ok(());
        };
        let mut seen = Vec::new();
        for body in &bodies {
            let bytes = serde_json::to_vec(body).unwrap();
            prop_assert!(bytes.len() as u64 <= limits.max_request_bytes, "{} bytes", bytes.len());
            prop_assert_eq!(&body.messages[..opts.history.len()], &opts.history[..]);
            let count = body.media_count() as u32;
            prop_assert!(count > earlier as u32 && count <= limits.max_images);
            if earlier > 0 {
                // Images of unknown size never go in a body past the many-image threshold.
                prop_assert!(count <= limits.many_images_threshold);
            }
            let first = seen.len();
            for (_, source) in body.images().skip(earlier) {
                let ImageSource::Base64 { data, .. } = source else { panic!("not base64") };
                seen.push(data.clone());
            }
            if count > limits.many_images_threshold {
                // By position (the order is checked below): data may repeat past 26 images.
                let sizes: Vec<u32> = images[first..seen.len().min(images.len())].iter().filter_map(|i| i.size()).map(|s| s.long_edge()).collect();
                prop_assert!(sizes.iter().all(|&s| s <= limits.max_side_many_images));
            }
            let last = body.messages.last().unwrap().content.last().unwrap();
            prop_assert_eq!(last, &ContentBlock::text("Describe each image."));
        }
        let expected: Vec<String> = images.iter().map(data).collect();
        prop_assert_eq!(seen, expected, "every image once, in order");
        prop_assert_eq!(bodies.len(), fewest(&images, &opts), "the fewest bodies");
    }

    #[test]
    fn the_size_used_for_packing_is_the_serialised_size(images in any_images(), earlier in 0usize..3) {
        // With the body limit set to exactly the serialised size of everything in one body,
        // everything still fits in one; one byte less and it must split.
        let limits = RequestLimits { max_image_base64_bytes: 1000, ..RequestLimits::portable() };
        let mut opts = options(limits);
        opts.history = history(earlier);
        let one = pack(&images, &opts).unwrap();
        prop_assume!(one.len() == 1);
        let exact = serde_json::to_vec(&one[0]).unwrap().len() as u64;
        opts.limits.max_request_bytes = exact;
        prop_assert_eq!(pack(&images, &opts).unwrap().len(), 1);
        opts.limits.max_request_bytes = exact - 1;
        let split = pack(&images, &opts);
        prop_assert!(split.map_or(true, |b| b.len() > 1));
    }
}

#[test]
fn prepared_images_round_trip_through_a_body() {
    let opts = PrepareOptions::default();
    let inputs = [
        make::jpeg(3000, 2000, JpegKind::Baseline, Some((6, false))),
        make::png(
            800,
            600,
            png::ColorType::Rgba,
            png::BitDepth::Eight,
            None,
            1,
        ),
    ];
    let prepared: Vec<PackImage> = inputs
        .iter()
        .map(|b| PackImage::from_prepared(&prepare(b, &opts).unwrap()))
        .collect();
    let bodies = pack(&prepared, &options(RequestLimits::portable())).unwrap();
    assert_eq!(bodies.len(), 1);
    for (_, source) in bodies[0].images() {
        let ImageSource::Base64 { media_type, data } = source else {
            panic!()
        };
        let bytes = base64_decode(data).unwrap();
        assert_eq!(
            sniff(&bytes)
                .and_then(|f| f.media_type())
                .map(|m| m.as_str()),
            Some(media_type.as_str())
        );
        assert!(image::load_from_memory(&bytes).is_ok());
    }
}

/// A folder run packs every image into bodies written in order, reports each body and each
/// failure as it happens, and a dry run plans the same bodies without writing any.
#[test]
fn request_folder_writes_bodies_and_names_failures() {
    use visionprep::folder::RunOptions;
    use visionprep::request::{RequestEvent, RequestRun, request_folder};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for i in 0..3 {
        let bytes = make::jpeg(300 + i * 10, 200, JpegKind::Baseline, None);
        std::fs::write(input.join(format!("{i}.jpg")), bytes).unwrap();
    }
    let mut cut = make::jpeg(400, 300, JpegKind::Baseline, None);
    cut.truncate(cut.len() / 3);
    std::fs::write(input.join("3-cut.jpg"), cut).unwrap();
    std::fs::write(input.join("notes.txt"), "not an image").unwrap();

    let resolved = visionprep::Settings::default().resolve().unwrap();
    let assessor = resolved.prepare_assessor().unwrap();
    let mut pack = PackOptions::new(resolved.prepare.target.model(), "What is this?", {
        let mut l = resolved.prepare.request;
        l.max_images = 2;
        l
    });
    pack.max_tokens = 256;
    let run_once = |out: Option<std::path::PathBuf>| {
        let mut run = RequestRun::new(vec![input.clone()], out);
        run.urls = vec!["https://example.com/a.png".into()];
        let mut events = Vec::new();
        let summary = request_folder(
            &run,
            &pack,
            &resolved.prepare,
            &assessor,
            &RunOptions::default(),
            |e| match e {
                RequestEvent::Body(b) => events.push(format!("body {} {}", b.name, b.images)),
                RequestEvent::Failed(f) => events.push(format!("failed {}", f.code)),
                _ => {}
            },
        )
        .unwrap();
        (summary, events)
    };
    let out = dir.path().join("out");
    let (summary, events) = run_once(Some(out.clone()));
    assert_eq!(
        events,
        [
            "body request-001.json 2",
            "failed truncated",
            "body request-002.json 2"
        ]
        .map(String::from)
    );
    assert_eq!(
        (summary.bodies, summary.images, summary.by_reference),
        (2, 4, 1)
    );
    assert_eq!(summary.failed.len(), 1);
    assert!(summary.failed[0].path.ends_with("3-cut.jpg"));
    assert!(summary.written && summary.tokens > 0);
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["request-001.json", "request-002.json"]);
    let first: visionprep::core::request::MessagesRequest =
        serde_json::from_slice(&std::fs::read(out.join("request-001.json")).unwrap()).unwrap();
    assert_eq!(first.media_count(), 2);
    assert_eq!(first.max_tokens, 256);

    let (dry, dry_events) = run_once(None);
    assert_eq!(dry_events, events);
    assert!(!dry.written);
    assert_eq!(
        (dry.bodies, dry.tokens, dry.usd),
        (2, summary.tokens, summary.usd)
    );
}
