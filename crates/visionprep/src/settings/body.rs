//! What a request body says besides its images, and the packer's and Message Batches' options
//! built from it with resolved settings: `visionprep request` and `batch`, Python's
//! `build_requests`, `write_batches` and `BatchRequests`, and JavaScript's `buildRequests` all
//! take their options from here.

use super::{Resolved, SettingsError};
use crate::core::TileMode;
use crate::request::PackOptions;
use crate::request::batches::{BatchOptions, CustomIds};
use serde::Deserialize;

/// The text of the bodies built around prepared images: the prompt after the images, each
/// body's `max_tokens` and an optional system prompt.
///
/// ```
/// use visionprep::{BodyText, Settings};
/// let run = Settings::default().resolve()?;
/// let pack = run.pack_options(&BodyText::new("What is in these images?"))?;
/// assert_eq!((pack.max_tokens, pack.model.as_str()), (1024, run.model().id.as_str()));
/// assert!(run.pack_options(&BodyText::new("")).is_err(), "the API refuses an empty text block");
/// # Ok::<(), visionprep::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct BodyText {
    /// The question asked about the images: the last block of each body. Required.
    pub prompt: String,
    /// `max_tokens` of each body. Default: 1024.
    pub max_tokens: u32,
    /// The system prompt, if any.
    pub system: Option<String>,
}

impl Default for BodyText {
    fn default() -> Self {
        BodyText {
            prompt: String::new(),
            max_tokens: 1024,
            system: None,
        }
    }
}

impl BodyText {
    /// `prompt` with the default `max_tokens` (1024) and no system prompt.
    pub fn new(prompt: impl Into<String>) -> Self {
        BodyText {
            prompt: prompt.into(),
            ..BodyText::default()
        }
    }

    /// This text with `max_tokens` and `system`.
    pub fn with(mut self, max_tokens: u32, system: Option<String>) -> Self {
        self.max_tokens = max_tokens;
        self.system = system;
        self
    }

    fn check(&self) -> Result<(), SettingsError> {
        if self.prompt.is_empty() {
            return Err(SettingsError::invalid(
                "prompt",
                "required: the API refuses an empty text block",
            ));
        }
        if self.max_tokens == 0 {
            return Err(SettingsError::invalid("max_tokens", "must be at least 1"));
        }
        Ok(())
    }
}

impl Resolved {
    /// The packer's options: bodies for the prepared model asking `text`, within the
    /// profile's request limits for that model.
    pub fn pack_options(&self, text: &BodyText) -> Result<PackOptions, SettingsError> {
        text.check()?;
        let mut pack =
            PackOptions::new(self.model().id.clone(), &text.prompt, self.prepare.request);
        pack.max_tokens = text.max_tokens;
        pack.system = text.system.clone().map(Into::into);
        Ok(pack)
    }

    /// The Message Batches options: requests of `per_request` images each (at least 1), with
    /// ids made by the `custom_id` template, priced at the batch rate. Each image is sent
    /// whole: tiles are refused (a token budget works).
    pub fn batch_options(
        &self,
        text: &BodyText,
        per_request: usize,
        custom_id: &str,
    ) -> Result<BatchOptions, SettingsError> {
        if self.prepare.tiles.mode != TileMode::Never {
            return Err(SettingsError::invalid(
                "tiles",
                "a batch sends each image whole (a request holds per-request images): tiles \
                 are for prepare and request; a token budget works here",
            ));
        }
        if per_request == 0 {
            return Err(SettingsError::invalid("per_request", "must be at least 1"));
        }
        let mut batch = BatchOptions::new(&self.table, self.model(), &text.prompt, &self.prepare);
        batch.pack = self.pack_options(text)?;
        batch.per_request = per_request;
        batch.ids = CustomIds::new(custom_id)
            .map_err(|e| SettingsError::invalid("custom_id", e.to_string()))?;
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn resolved(tiles: TileMode) -> Resolved {
        let settings = Settings {
            tiles,
            ..Settings::default()
        };
        settings.resolve().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bodies_take_the_text_and_the_prepared_model() {
        let run = resolved(TileMode::Never);
        let text = BodyText::new("Describe.").with(300, Some("Be brief.".into()));
        let pack = run.pack_options(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (pack.model.as_str(), pack.max_tokens, pack.prompt.as_str()),
            (run.model().id.as_str(), 300, "Describe.")
        );
        assert!(pack.system.is_some());
        assert_eq!(pack.limits, run.prepare.request);
        let zero = BodyText::new("x").with(0, None);
        assert!(matches!(
            run.pack_options(&zero),
            Err(SettingsError::Invalid {
                setting: "max_tokens",
                ..
            })
        ));
    }

    #[test]
    fn batches_refuse_tiles_no_images_and_bad_templates() {
        let text = BodyText::new("Describe.");
        let run = resolved(TileMode::Never);
        let batch = run
            .batch_options(&text, 3, "{stem}-{n}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (batch.per_request, batch.pack.prompt.as_str()),
            (3, "Describe.")
        );
        for (run, per, template, setting) in [
            (resolved(TileMode::Auto), 1, "{stem}", "tiles"),
            (resolved(TileMode::Never), 0, "{stem}", "per_request"),
            (resolved(TileMode::Never), 1, "{nope}", "custom_id"),
        ] {
            let e = run.batch_options(&text, per, template).unwrap_err();
            assert!(
                matches!(&e, SettingsError::Invalid { setting: s, .. } if *s == setting),
                "{e:?}"
            );
            assert_eq!(e.code().as_str(), "invalid-options");
        }
    }
}
