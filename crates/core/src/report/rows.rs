//! Report rows and totals: the types behind `visionprep cost --format json`.

use super::*;

/// Model ids paired with their estimates, in the order the models were asked for. Serialises
/// as a JSON object keyed by model id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelMap<T>(pub Vec<(String, T)>);

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for ModelMap<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A per-file error in a report: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ReportError {
    /// The stable code.
    pub code: ErrorCode,
    /// What happened, for people.
    pub message: String,
}

/// One file's line in a cost report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FileReport {
    /// The path as given or found by the walk; see [`PathText`] for names that are not UTF-8.
    pub path: String,
    /// Whether `path` is escaped ([`PathText::escape`]): only for names that are not UTF-8.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_false"))]
    pub path_escaped: bool,
    /// The sniffed MIME type (`image/tiff` for a TIFF), `None` when the bytes are unknown.
    pub media_type: Option<&'static str>,
    /// The sniffed format's name (`JPEG`, `HEIC`), `None` when unknown.
    pub format: Option<&'static str>,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The width as displayed (after EXIF orientation).
    pub width: Option<u32>,
    /// The height as displayed.
    pub height: Option<u32>,
    /// The estimate per model.
    pub models: ModelMap<ModelEstimate>,
    /// Problems with the file as it is.
    pub problems: Vec<ProblemCode>,
    /// Why the file could not be assessed, if it could not.
    pub error: Option<ReportError>,
}

impl FileReport {
    /// The size as displayed of an image that was read (`None` for a file that failed).
    pub fn size(&self) -> Option<Size> {
        match (self.error.as_ref(), self.width, self.height) {
            (None, Some(w), Some(h)) => Some(Size::new(w, h)),
            _ => None,
        }
    }
}

#[cfg(feature = "serde")]
fn is_false(b: &bool) -> bool {
    !*b
}

/// The totals of one model over a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelTotals {
    /// Tokens over all images.
    pub tokens: u64,
    /// Cost over all images.
    pub usd: Usd,
    /// Tokens and cost with every image at the per-image budget, when one is set.
    pub budget: Option<Amount>,
    /// Tokens and cost with images sent as tiles, when tiles are estimated.
    pub tiles: Option<Amount>,
}

/// A number of tokens and their cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Amount {
    /// Tokens.
    pub tokens: u64,
    /// Their cost.
    pub usd: Usd,
}

impl Amount {
    fn add(slot: &mut Option<Amount>, tokens: u64, usd: Usd) {
        let a = slot.get_or_insert_with(Amount::default);
        a.tokens = a.tokens.saturating_add(tokens);
        a.usd += usd;
    }
}

/// The totals of a report. Serialised with each model's `usd_per_1000_images` (the average
/// cost of 1,000 such images) beside its `tokens` and `usd`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Files looked at.
    pub files: u64,
    /// Files that were estimated.
    pub images: u64,
    /// Files that could not be.
    pub errors: u64,
    /// Bytes of all files.
    pub bytes: u64,
    /// Per model, in the order asked for.
    pub models: ModelMap<ModelTotals>,
}

impl Totals {
    /// Empty totals for `models`.
    pub fn new(models: &[ModelPrice]) -> Self {
        Self {
            models: ModelMap(
                models
                    .iter()
                    .map(|m| (m.id.clone(), ModelTotals::default()))
                    .collect(),
            ),
            ..Self::default()
        }
    }

    /// Adds one file's line.
    pub fn add(&mut self, file: &FileReport) {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(file.bytes);
        if file.error.is_some() {
            self.errors += 1;
            return;
        }
        self.images += 1;
        for ((_, total), (_, est)) in self.models.0.iter_mut().zip(&file.models.0) {
            total.tokens = total.tokens.saturating_add(est.tokens);
            total.usd += est.usd;
            if let Some(b) = est.budget {
                Amount::add(&mut total.budget, b.tokens, b.usd);
            }
            if let Some(t) = est.tiles {
                Amount::add(&mut total.tiles, t.tokens, t.usd);
            }
        }
    }

    /// The average cost of 1,000 images like those counted, for one model's totals.
    pub fn per_1000_images(&self, model: &ModelTotals) -> Usd {
        model.usd.times(1000).divided_by(self.images)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Totals {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(serde::Serialize)]
        struct Model {
            tokens: u64,
            usd: Usd,
            usd_per_1000_images: Usd,
            #[serde(skip_serializing_if = "Option::is_none")]
            budget: Option<Part>,
            #[serde(skip_serializing_if = "Option::is_none")]
            tiles: Option<Part>,
        }
        #[derive(serde::Serialize)]
        struct Part {
            tokens: u64,
            usd: Usd,
            usd_per_1000_images: Usd,
        }
        let part = |a: Option<Amount>| {
            a.map(|a| Part {
                tokens: a.tokens,
                usd: a.usd,
                usd_per_1000_images: a.usd.times(1000).divided_by(self.images),
            })
        };
        let models = ModelMap(
            self.models
                .0
                .iter()
                .map(|(id, m)| {
                    let usd_per_1000_images = self.per_1000_images(m);
                    (
                        id.clone(),
                        Model {
                            tokens: m.tokens,
                            usd: m.usd,
                            usd_per_1000_images,
                            budget: part(m.budget),
                            tiles: part(m.tiles),
                        },
                    )
                })
                .collect(),
        );
        let mut st = s.serialize_struct("Totals", 5)?;
        st.serialize_field("files", &self.files)?;
        st.serialize_field("images", &self.images)?;
        st.serialize_field("errors", &self.errors)?;
        st.serialize_field("bytes", &self.bytes)?;
        st.serialize_field("models", &models)?;
        st.end()
    }
}
