//! Event text is shown to every caller an event reaches, so it must never carry the name of a
//! tenant (of any service) or of a partner or customer account: each caller is shown its own
//! impacted tenants instead. This module finds such names in text, as whole words and
//! case-insensitively, in time that grows with the text and not with the number of names.

use std::collections::{HashMap, HashSet};

use crate::DomainError;

/// What kind of object a name in event text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedKind {
    Tenant,
    Account,
}

impl NamedKind {
    fn article(self) -> &'static str {
        match self {
            NamedKind::Tenant => "a tenant",
            NamedKind::Account => "an account",
        }
    }
}

/// A name found in text: its kind and the name as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub kind: NamedKind,
    pub name: String,
}

/// The names text must not carry, indexed by their lower-case form.
#[derive(Debug, Clone, Default)]
pub struct ForbiddenNames {
    names: HashMap<String, Mention>,
    /// The longest lower-case name in bytes: no candidate in text needs to be longer.
    longest: usize,
}

/// Characters that continue a word: a name only counts where neither neighbour is one, so a
/// tenant `prod` is not found in `production` nor `globex-prod` in `globex-prod-eu`.
fn continues_word(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Lower case, with every run of whitespace as one space: "Acme  Corp" and "Acme\u{a0}Corp"
/// name "Acme Corp".
fn normalised(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.extend(c.to_lowercase());
            in_space = false;
        }
    }
    out
}

impl ForbiddenNames {
    pub fn new(names: impl IntoIterator<Item = (NamedKind, String)>) -> Self {
        let mut index = ForbiddenNames::default();
        for (kind, name) in names {
            let key = normalised(&name);
            if key.is_empty() {
                continue;
            }
            index.longest = index.longest.max(key.len());
            // A tenant wins over an account of the same name: the more specific leak.
            let entry = index.names.entry(key).or_insert(Mention {
                kind,
                name: name.clone(),
            });
            if kind == NamedKind::Tenant {
                *entry = Mention { kind, name };
            }
        }
        index
    }

    /// The first forbidden name `text` carries as a whole word, ignoring case.
    pub fn find(&self, text: &str) -> Option<&Mention> {
        self.find_allowing(text, &AllowedNames::default())
    }

    /// Whether `name` is a name the guard knows (a tenant's or an account's), ignoring case.
    pub fn knows(&self, name: &str) -> bool {
        self.names.contains_key(&normalised(name))
    }

    /// [`ForbiddenNames::find`], passing over the names in `allowed`.
    ///
    /// Every substring that starts and ends at a word boundary (and is no longer than the
    /// longest name) is looked up in the index: O(boundaries × boundaries within reach), with
    /// one hash lookup each, whatever the number of names.
    pub fn find_allowing(&self, text: &str, allowed: &AllowedNames) -> Option<&Mention> {
        if self.names.is_empty() {
            return None;
        }
        let lower = normalised(text);
        let chars: Vec<(usize, char)> = lower.char_indices().collect();
        // A name may start where the previous character does not continue a word, and end
        // where the next one does not.
        let starts: Vec<usize> = (0..chars.len())
            .filter(|&i| i == 0 || !continues_word(chars[i - 1].1))
            .filter(|&i| !chars[i].1.is_whitespace())
            .map(|i| chars[i].0)
            .collect();
        let ends: Vec<usize> = (1..=chars.len())
            .filter(|&i| i == chars.len() || !continues_word(chars[i].1))
            .filter(|&i| !chars[i - 1].1.is_whitespace())
            .map(|i| chars.get(i).map_or(lower.len(), |c| c.0))
            .collect();
        let mut first_end = 0;
        for start in starts {
            while first_end < ends.len() && ends[first_end] <= start {
                first_end += 1;
            }
            for &end in ends[first_end..]
                .iter()
                .take_while(|&&end| end - start <= self.longest)
            {
                let key = &lower[start..end];
                if let Some(found) = self.names.get(key) {
                    if !allowed.keys.contains(key) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// Refuses `text` (the value of `field`) when it names a tenant or an account.
    pub fn check(&self, field: &'static str, text: &str) -> Result<(), DomainError> {
        self.check_allowing(field, text, &AllowedNames::default())
    }

    /// [`ForbiddenNames::check`], except for the names in `allowed`.
    pub fn check_allowing(
        &self,
        field: &'static str,
        text: &str,
        allowed: &AllowedNames,
    ) -> Result<(), DomainError> {
        match self.find_allowing(text, allowed) {
            None => Ok(()),
            Some(found) => Err(DomainError::NameInText {
                field,
                kind: found.kind,
                message: format!(
                    "must not name {} (found \"{}\"): event text is shown to every caller the event reaches; each caller gets its own impacted tenants. If the word is meant as an ordinary word here, send \"allow_names\": [\"{}\"] with the request (provider admins; audited)",
                    found.kind.article(),
                    found.name,
                    found.name
                ),
            }),
        }
    }
}

/// The names a provider admin confirmed are meant as ordinary words in one write's event text
/// (`allow_names`): only these pass the guard, and only in that write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNames {
    /// As given, for the audit log.
    names: Vec<String>,
    /// Their normalised forms, as the guard's index keys them.
    keys: HashSet<String>,
}

impl AllowedNames {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let names: Vec<String> = names.into_iter().collect();
        let keys = names.iter().map(|n| normalised(n)).collect();
        AllowedNames { names, keys }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names as given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Refuses names the guard does not know: an allowance names exactly the tenants or
    /// accounts it lets through (`field` is the request field, e.g. `allow_names`).
    pub fn check_known(
        &self,
        field: &'static str,
        guard: &ForbiddenNames,
    ) -> Result<(), DomainError> {
        match self.names.iter().find(|name| !guard.knows(name)) {
            None => Ok(()),
            Some(name) => Err(DomainError::invalid(
                field,
                format!("\"{name}\" is not the name of a tenant or an account; list only names the text was refused for"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> ForbiddenNames {
        ForbiddenNames::new([
            (NamedKind::Tenant, "globex-prod".to_owned()),
            (NamedKind::Tenant, "prod".to_owned()),
            (NamedKind::Account, "Acme Corp".to_owned()),
            (NamedKind::Account, "Ünïcode GmbH".to_owned()),
        ])
    }

    fn found(text: &str) -> Option<(NamedKind, String)> {
        guard().find(text).map(|m| (m.kind, m.name.clone()))
    }

    #[test]
    fn names_are_found_as_whole_words_in_any_case_and_inside_punctuation() {
        let tenant = |n: &str| Some((NamedKind::Tenant, n.to_owned()));
        let account = |n: &str| Some((NamedKind::Account, n.to_owned()));
        assert_eq!(
            found("Errors on GLOBEX-PROD since 10:00"),
            tenant("globex-prod")
        );
        assert_eq!(found("(globex-prod)"), tenant("globex-prod"));
        assert_eq!(found("see \"Prod\"."), tenant("prod"));
        assert_eq!(found("prod"), tenant("prod"));
        assert_eq!(found("Linked to acme corp's outage"), account("Acme Corp"));
        assert_eq!(found("ÜNÏCODE GMBH: slow"), account("Ünïcode GmbH"));
        assert_eq!(found("for acme \t corp"), account("Acme Corp"));
        assert_eq!(found("for Acme\u{a0}Corp"), account("Acme Corp"));
    }

    #[test]
    fn substrings_of_longer_words_are_not_names() {
        assert_eq!(found("production and productive"), None);
        assert_eq!(found("globex-production, prod_eu, preprod"), None);
        assert_eq!(found("Acme Corporation"), None);
        assert_eq!(found("Login latency in EU"), None);
        assert_eq!(found(""), None);
    }

    #[test]
    fn the_problem_names_the_field_and_the_kind() {
        let err = guard().check("message", "Acme Corp down").unwrap_err();
        assert!(matches!(
            err,
            DomainError::NameInText {
                field: "message",
                kind: NamedKind::Account,
                ..
            }
        ));
        assert!(guard().check("title", "All fine").is_ok());
        assert!(ForbiddenNames::default().check("title", "prod").is_ok());
    }

    #[test]
    fn allowed_names_pass_and_every_other_name_is_still_refused() {
        let guard = ForbiddenNames::new([
            (NamedKind::Account, "Data".to_owned()),
            (NamedKind::Tenant, "prod".to_owned()),
        ]);
        let data = AllowedNames::new(["data".to_owned()]);
        assert!(guard.check("title", "Data export slow").is_err());
        assert!(guard
            .check_allowing("title", "Data export slow", &data)
            .is_ok());
        assert!(guard
            .check_allowing("title", "Data export slow on prod", &data)
            .is_err());
        assert!(data.check_known("allow_names", &guard).is_ok());
        let unknown = AllowedNames::new(["Cloud".to_owned()]);
        assert!(unknown.check_known("allow_names", &guard).is_err());
    }
}
