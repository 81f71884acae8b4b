//! What every request of a batch carries, and one request line made from one prepared image
//! (for workers that see one image at a time).

use super::BatchError;
use super::ids::{CustomIds, paths_hash};
use crate::folder::OutputKey;
use crate::prepare::{PrepareOptions, Prepared};
use crate::request::{PackError, PackImage, PackOptions, Packer};
use serde::Serialize;
use visionprep_core::request::MessagesRequest;
use visionprep_core::{BatchLimits, CostOptions, ModelPrice, PriceTable, Usd};

/// What every request of a batch run carries, and how ids are made.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The bodies' model, max_tokens, system prompt, prompt and request limits.
    pub pack: PackOptions,
    /// Images per request (at most; a request whose images break a request limit is split
    /// over several, the later ids suffixed `-2`, `-3`, ...). Default 1.
    pub per_request: usize,
    /// How ids are made.
    pub ids: CustomIds,
    /// The limits of one batch file.
    pub limits: BatchLimits,
    /// The price of one input token on the Message Batches API (half the standard price).
    pub token_price: Usd,
}

impl BatchOptions {
    /// Options for requests to `model` asking `prompt` about each image, with the request
    /// limits of `prepare` (its profile for that model) and the built-in batch limits.
    pub fn new(
        table: &PriceTable,
        model: &ModelPrice,
        prompt: &str,
        prepare: &PrepareOptions,
    ) -> Self {
        let batch = CostOptions {
            batch: true,
            ..CostOptions::default()
        };
        BatchOptions {
            pack: PackOptions::new(&model.id, prompt, prepare.request),
            per_request: 1,
            ids: CustomIds::default(),
            limits: BatchLimits::builtin(),
            token_price: model.token_price(table.modifiers(), &batch),
        }
    }

    /// The map key of these options with `prepare`'s: what must not change for a line to
    /// be reused.
    pub fn key(&self, prepare: &PrepareOptions) -> String {
        #[derive(Serialize)]
        struct Key<'a> {
            output: OutputKey,
            model: &'a str,
            max_tokens: u32,
            prompt: &'a str,
            system: Option<String>,
            per_request: usize,
            request_bytes: u64,
        }
        let key = Key {
            output: OutputKey::new(prepare),
            model: &self.pack.model,
            max_tokens: self.pack.max_tokens,
            prompt: &self.pack.prompt,
            system: self
                .pack
                .system
                .as_ref()
                .and_then(|s| serde_json::to_string(s).ok()),
            per_request: self.per_request,
            request_bytes: self.pack.limits.max_request_bytes,
        };
        let text = serde_json::to_string(&key).unwrap_or_default();
        format!("{:016x}", paths_hash(&[&text]))
    }

    /// The request bodies for one request's images: one body, or several when they break a
    /// request limit together.
    pub fn bodies(&self, images: Vec<PackImage>) -> Result<Vec<MessagesRequest>, PackError> {
        let mut options = self.pack.clone();
        options.limits.max_images = options
            .limits
            .max_images
            .min(self.per_request.max(1) as u32);
        let mut packer = Packer::new(&options)?;
        let mut bodies = Vec::new();
        for image in images {
            bodies.extend(packer.push(image)?);
        }
        bodies.extend(packer.finish());
        Ok(bodies)
    }
}

/// One request line of a batch, made from one prepared image: what `visionprep batch` writes
/// for that image with one image per request, and the map's facts about it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRequest {
    /// Its custom id.
    pub custom_id: String,
    /// The request body, as JSON text.
    pub params: String,
    /// The image's path (its id's source).
    pub paths: Vec<String>,
    /// The body's model.
    pub model: String,
    /// The image's tokens.
    pub image_tokens: u64,
    /// What they cost at the batch price.
    pub usd: String,
}

impl BatchOptions {
    /// The request line of one prepared image named `path`, numbered 1 (templates with
    /// `{n}` need the whole run: use [`batch_folder`](super::batch_folder)).
    pub fn request(&self, image: &Prepared, path: &str) -> Result<BatchRequest, BatchError> {
        let custom_id = self.ids.id(&[path], 1)?;
        let bodies = self.bodies(vec![PackImage::from_prepared(image)])?;
        let body = bodies
            .first()
            .ok_or(BatchError::Pack(PackError::ImageTooLarge {
                index: 0,
                reason: "no body can hold it".into(),
            }))?;
        let params = serde_json::to_string(body).map_err(|e| BatchError::InvalidParams {
            id: custom_id.clone(),
            reason: e.to_string(),
        })?;
        Ok(BatchRequest {
            custom_id,
            params,
            paths: vec![path.to_owned()],
            model: self.pack.model.clone(),
            image_tokens: image.tokens,
            usd: self.token_price.times(image.tokens).to_string(),
        })
    }
}
