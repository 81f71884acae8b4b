//! The model a request is checked for, and the request-wide limits (image count, body size).

use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, Finding, Severity};
use visionprep_core::{Lifecycle, ModelPrice, Profile, RequestLimits, Tier, TierLimits, Usd};

/// The model a request is checked (and repaired) for.
#[derive(Debug, Clone)]
pub(crate) struct ModelFacts {
    pub price: ModelPrice,
    pub known: bool,
    pub limits: RequestLimits,
    pub tier: TierLimits,
    pub token_price: Option<Usd>,
}

impl ModelFacts {
    pub(crate) fn resolve(
        options: &CheckOptions,
        named: Option<&str>,
        out: &mut Vec<Finding>,
    ) -> Self {
        let table = &options.prices;
        let name = match (&options.model, named) {
            (Some(m), _) if options.force_model => Some(m.as_str()),
            (_, Some(n)) => Some(n),
            (m, None) => m.as_deref(),
        };
        let found = match name {
            Some(n) => table.get(n).map_err(|e| (n.to_owned(), e.to_string())),
            None => table
                .default_model()
                .map_err(|e| (String::new(), e.to_string())),
        };
        let (price, known) = match found {
            Ok(m) => (m.clone(), true),
            Err((name, why)) => {
                out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Note,
                    code: FindingCode::UnknownModel,
                    message: format!(
                        "{why}; checked with the limits of a 200k-token model on the standard tier"
                    ),
                });
                (ModelPrice::custom(name, Tier::Standard, Usd::ZERO), false)
            }
        };
        if known {
            match price.lifecycle {
                Lifecycle::Retired { .. } => out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Error,
                    code: FindingCode::RetiredModel,
                    message: price.status_note().unwrap_or_else(|| price.id.clone()),
                }),
                Lifecycle::Deprecated { .. } => out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Note,
                    code: FindingCode::DeprecatedModel,
                    message: price.status_note().unwrap_or_else(|| price.id.clone()),
                }),
                _ => {}
            }
        }
        let limits = options
            .limits
            .unwrap_or_else(|| options.profile.limits_for(&price));
        let token_price = known.then(|| price.token_price(table.modifiers(), &Default::default()));
        ModelFacts {
            tier: price.tier.limits(),
            price,
            known,
            limits,
            token_price,
        }
    }
}

/// The limits of a whole request: the images and documents it holds, and its size.
pub(crate) fn limit_findings(
    facts: &ModelFacts,
    profile: Profile,
    count: usize,
    bytes: u64,
    line: Option<usize>,
) -> Vec<Finding> {
    let limits = facts.limits;
    let mut findings = Vec::new();
    if count as u64 > u64::from(limits.max_images) {
        findings.push(Finding {
            path: "messages".into(),
            line,
            uuid: None,
            severity: Severity::Error,
            code: FindingCode::TooManyImages,
            message: format!(
                "too many images and documents: {count} > {} for {}",
                limits.max_images, facts.price.id
            ),
        });
    }
    if bytes > limits.max_request_bytes {
        findings.push(Finding {
            path: "body".into(),
            line,
            uuid: None,
            severity: Severity::Error,
            code: FindingCode::RequestTooLarge,
            message: format!(
                "the body is {bytes} bytes, over the {}-byte request limit of {profile}",
                limits.max_request_bytes
            ),
        });
    }
    findings
}
