//! Settings from an object keyed by one front end's spellings (Python's keyword arguments as
//! JSON, a JavaScript options object): the parity table decides each name, the settings' own
//! parsers each value, so that both front ends read options the same way.

use super::{SPELLINGS, Settings, SettingsError, Spelling};
use crate::core::PriceError;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A front end: the settings' names there ([`Settings::from_spelled`] reads Python's and
/// JavaScript's) and in its messages ([`SettingsError::message_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Front {
    /// The command line (`--token-budget`).
    Cli,
    /// Python's keyword arguments (snake_case).
    Python,
    /// JavaScript options (camelCase).
    JavaScript,
}

impl Front {
    /// The spelling of `row` in this front end, or `None` where it does not offer it.
    fn name(self, row: &Spelling) -> Option<&'static str> {
        match self {
            Front::Cli => row.cli,
            Front::Python => Some(row.python),
            Front::JavaScript => row.js,
        }
    }

    /// The setting `name` (a field of [`Settings`], or of [`BodyText`](super::BodyText), or a
    /// run's option such as `per_request`) as this front end spells it: the parity table's
    /// name, else the front end's case (`--per-request`, `per_request`, `perRequest`).
    fn spell(self, name: &'static str) -> Cow<'static, str> {
        if let Some(spelled) = SPELLINGS
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| self.name(s))
        {
            return spelled.into();
        }
        match self {
            Front::Cli => format!("--{}", name.replace('_', "-")).into(),
            Front::Python => name.into(),
            Front::JavaScript => camel_case(name).into(),
        }
    }

    /// `value`'s fields (the top level of an object: a library result as JSON) as this front
    /// end names them: camelCase in JavaScript (`media_type` becomes `mediaType`), unchanged
    /// elsewhere.
    ///
    /// ```
    /// use visionprep::settings::Front;
    /// let v = serde_json::json!({"media_type": "image/png", "target_width": 10});
    /// let js = Front::JavaScript.fields(v);
    /// assert_eq!(js, serde_json::json!({"mediaType": "image/png", "targetWidth": 10}));
    /// ```
    pub fn fields(self, value: Value) -> Value {
        let Value::Object(map) = value else {
            return value;
        };
        if self != Front::JavaScript {
            return Value::Object(map);
        }
        Value::Object(map.into_iter().map(|(k, v)| (camel_case(&k), v)).collect())
    }

    /// `setting` given `value`, as a user of this front end writes it.
    fn given(self, setting: &'static str, value: &str) -> String {
        match self {
            Front::Cli => format!("{} {value}", self.spell(setting)),
            Front::Python => format!("{}={value}", self.spell(setting)),
            Front::JavaScript => format!("{}: {value}", self.spell(setting)),
        }
    }
}

/// `snake_case` as `camelCase`.
fn camel_case(name: &str) -> String {
    let mut parts = name.split('_');
    let mut out: String = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        out.push_str(chars.as_str());
    }
    out
}

impl Settings {
    /// Settings from `object`, keyed by `front`'s spellings: every name of the parity table
    /// the front end offers, and `model` for one model. A name it does not know is refused
    /// ([`SettingsError::Unknown`], with the table's note when the setting exists but this
    /// front end cannot offer it); a value its setting's parser refuses is named in the error.
    ///
    /// ```
    /// use visionprep::settings::Front;
    /// use visionprep::Settings;
    /// let object = serde_json::json!({"tokenBudget": 800, "model": "claude-opus-4-7"});
    /// let s = Settings::from_spelled(object.as_object().unwrap(), Front::JavaScript)?;
    /// assert_eq!((s.token_budget, s.models.len()), (Some(800), 1));
    /// # Ok::<(), visionprep::SettingsError>(())
    /// ```
    pub fn from_spelled(
        object: &Map<String, Value>,
        front: Front,
    ) -> Result<Settings, SettingsError> {
        let mut named = Map::new();
        for (key, value) in object {
            if key == "model" {
                if !value.is_null() {
                    named.insert("models".into(), Value::Array(vec![value.clone()]));
                }
                continue;
            }
            let Some(row) = SPELLINGS
                .iter()
                .find(|s| front.name(s) == Some(key.as_str()))
            else {
                let note = SPELLINGS
                    .iter()
                    .find(|s| s.name == key || s.python == key || s.js == Some(key.as_str()))
                    .map(|s| s.note);
                return Err(SettingsError::Unknown {
                    name: key.clone(),
                    note,
                });
            };
            // Each value alone first, so that its error names the setting as the caller spells it.
            let one = Value::Object(Map::from_iter([(row.name.to_owned(), value.clone())]));
            if let Err(e) = serde_json::from_value::<Settings>(one) {
                let spelled = front.name(row).unwrap_or(row.name);
                return Err(SettingsError::invalid(spelled, e.to_string()));
            }
            named.insert(row.name.into(), value.clone());
        }
        serde_json::from_value(Value::Object(named))
            .map_err(|e| SettingsError::invalid("settings", e.to_string()))
    }
}

impl SettingsError {
    /// The message as `front` shows it: an invalid setting named in its spelling there
    /// (`tokenBudget: must be at least 1` in JavaScript, `token_budget: ...` in Python), and
    /// for a model that cannot be chosen, what to give instead, in the front end's terms.
    pub fn message_for(&self, front: Front) -> String {
        match self {
            SettingsError::Invalid { setting, reason } if !reason.starts_with(setting) => {
                format!("{}: {reason}", front.spell(setting))
            }
            SettingsError::Model(e) => match model_hint(e, front) {
                Some(hint) => format!("{self}\n{hint}"),
                None => self.to_string(),
            },
            _ => self.to_string(),
        }
    }
}

/// What to give for a model the settings cannot choose.
fn model_hint(e: &PriceError, front: Front) -> Option<String> {
    let (tier, price) = (front.spell("tier"), front.spell("price_per_mtok"));
    Some(match e {
        PriceError::UnknownModel { name, .. } => {
            let file = match front {
                Front::JavaScript => format!("{} text", front.spell("prices_toml")),
                _ => format!("{} file", front.spell("prices")),
            };
            format!(
                "to estimate a model visionprep does not know yet, give its tier and input \
                 price: {} {}, or a {file} with one entry:\n  [[models]]\n  id = \"{}\"\n  \
                 tier = \"high-resolution\"\n  input = \"5\"\n  context_window = 1000000",
                front.given("tier", "standard|high-resolution"),
                front.given("price_per_mtok", "USD"),
                name.trim()
            )
        }
        PriceError::Retired { .. } => {
            let allow = match front {
                Front::Cli => front.spell("allow_retired").into_owned(),
                Front::Python => front.given("allow_retired", "True"),
                Front::JavaScript => front.given("allow_retired", "true"),
            };
            format!("pass {allow} to estimate it anyway (a historic cost report)")
        }
        PriceError::CustomUnused => {
            format!("{tier} and {price} describe a model the data does not know")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn each_front_reads_its_own_spelling() {
        let py = object(serde_json::json!({"token_budget": 500, "us_only": true, "model": null}));
        let s = Settings::from_spelled(&py, Front::Python).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.token_budget, s.us_only, s.models.len()),
            (Some(500), true, 0)
        );
        let js = object(serde_json::json!({"tokenBudget": 500, "usOnly": true}));
        let t = Settings::from_spelled(&js, Front::JavaScript).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.token_budget, t.us_only), (Some(500), true));
        // The other front end's spelling is not taken.
        assert!(Settings::from_spelled(&js, Front::Python).is_err());
    }

    #[test]
    fn refusals_name_the_setting_as_spelled() {
        let e = Settings::from_spelled(&object(serde_json::json!({"qualty": 5})), Front::Python)
            .unwrap_err();
        assert!(matches!(&e, SettingsError::Unknown { name, note: None } if name == "qualty"));
        let e = Settings::from_spelled(
            &object(serde_json::json!({"prices": "p.toml"})),
            Front::JavaScript,
        )
        .unwrap_err();
        assert!(e.to_string().contains("pricesToml"), "{e}");
        let e = Settings::from_spelled(
            &object(serde_json::json!({"tokenRule": "nope"})),
            Front::JavaScript,
        )
        .unwrap_err();
        assert!(
            matches!(
                &e,
                SettingsError::Invalid {
                    setting: "tokenRule",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.code().as_str(), "invalid-options");
    }

    #[test]
    fn model_refusals_say_what_to_give_in_each_front_ends_terms() {
        let unknown = Settings {
            models: vec!["claude-vision-9".into()],
            ..Settings::default()
        };
        let e = unknown.resolve().unwrap_err();
        let cli = e.message_for(Front::Cli);
        assert!(
            cli.contains(
                "--tier standard|high-resolution --price-per-mtok USD, or a --prices file"
            ),
            "{cli}"
        );
        assert!(cli.contains("id = \"claude-vision-9\""), "{cli}");
        let py = e.message_for(Front::Python);
        assert!(
            py.contains("tier=standard|high-resolution price_per_mtok=USD"),
            "{py}"
        );
        let js = e.message_for(Front::JavaScript);
        assert!(
            js.contains("pricePerMtok: USD, or a pricesToml text"),
            "{js}"
        );
        assert!(js.starts_with(&e.to_string()), "{js}");
        let retired = Settings {
            models: vec!["claude-mythos-preview".into()],
            ..Settings::default()
        };
        let e = retired.resolve().unwrap_err();
        assert!(
            matches!(e, SettingsError::Model(PriceError::Retired { .. })),
            "{e:?}"
        );
        assert!(e.message_for(Front::Cli).contains("pass --allow-retired"));
        assert!(
            e.message_for(Front::Python)
                .contains("pass allow_retired=True")
        );
        assert!(
            e.message_for(Front::JavaScript)
                .contains("pass allowRetired: true")
        );
    }
}
