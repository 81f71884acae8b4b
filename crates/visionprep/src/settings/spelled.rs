//! Settings from an object keyed by one front end's spellings (Python's keyword arguments as
//! JSON, a JavaScript options object): the parity table decides each name, the settings' own
//! parsers each value, so that both front ends read options the same way.

use super::{SPELLINGS, Settings, SettingsError, Spelling};
use serde_json::{Map, Value};

/// A front end whose spellings [`Settings::from_spelled`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Front {
    /// Python's keyword arguments (snake_case).
    Python,
    /// JavaScript options (camelCase).
    JavaScript,
}

impl Front {
    /// The spelling of `row` in this front end, or `None` where it does not offer it.
    fn name(self, row: &Spelling) -> Option<&'static str> {
        match self {
            Front::Python => Some(row.python),
            Front::JavaScript => row.js,
        }
    }
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
    /// (`tokenBudget: must be at least 1` in JavaScript, `token_budget: ...` in Python).
    pub fn message_for(&self, front: Front) -> String {
        match self {
            SettingsError::Invalid { setting, reason } if !reason.starts_with(setting) => {
                let name = SPELLINGS
                    .iter()
                    .find(|s| s.name == *setting)
                    .and_then(|s| front.name(s))
                    .unwrap_or(setting);
                format!("{name}: {reason}")
            }
            _ => self.to_string(),
        }
    }
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
}
