//! The model data as a listing: `visionprep models --json` and the Python `models()`.

use serde::Serialize;
use visionprep_core::{ModelPrice, PriceTable};

/// One model of a [`ModelListing`]: its entry in the data and the images a request to it
/// may hold.
#[derive(Debug, Serialize)]
pub struct ListedModel<'a> {
    /// The model's entry (id, aliases, tier, price, context window, lifecycle, ...).
    #[serde(flatten)]
    pub model: &'a ModelPrice,
    /// Images (and documents) a request to it may hold.
    pub images_per_request: u32,
}

/// The whole model data in use, with its date and the default model.
#[derive(Debug, Serialize)]
pub struct ModelListing<'a> {
    /// The date the data describes.
    pub as_of: &'a str,
    /// Where the figures come from.
    pub source: Option<&'a str>,
    /// The model used when none is named ([`PriceTable::default_model`]).
    pub default_model: Option<&'a str>,
    /// Every model, in the data's order.
    pub models: Vec<ListedModel<'a>>,
}

impl<'a> ModelListing<'a> {
    /// The listing of `table`.
    pub fn new(table: &'a PriceTable) -> Self {
        ModelListing {
            as_of: table.as_of(),
            source: table.source(),
            default_model: table.default_model().ok().map(|m| m.id.as_str()),
            models: table
                .models()
                .iter()
                .map(|model| ListedModel {
                    model,
                    images_per_request: model.images_per_request(),
                })
                .collect(),
        }
    }
}
