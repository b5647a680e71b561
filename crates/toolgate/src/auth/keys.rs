//! Static bearer tokens / API keys, compared in constant time.

use std::collections::BTreeSet;

use subtle::ConstantTimeEq;

use super::{AuthError, AuthMethod, Principal, Secret};

/// A set of static tokens, each with a subject and scopes.
#[derive(Debug, Clone, Default)]
pub struct StaticKeys {
    keys: Vec<(Secret, Option<String>, BTreeSet<String>)>,
}

impl StaticKeys {
    /// No keys.
    pub fn new() -> StaticKeys {
        StaticKeys::default()
    }

    /// Adds a token, the subject it stands for, and the scopes it grants.
    pub fn with(mut self, token: Secret, subject: Option<&str>, scopes: &[&str]) -> StaticKeys {
        self.keys.push((token, subject.map(str::to_owned), scopes.iter().map(|s| (*s).to_owned()).collect()));
        self
    }

    /// How many tokens.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Reads tokens from text: one per line, `TOKEN [sub=NAME] [scopes=a,b]`; `#` starts a
    /// comment. (For environment variables, several tokens may be separated by commas.)
    pub fn parse(text: &str) -> Result<StaticKeys, String> {
        let mut keys = StaticKeys::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let token = parts.next().unwrap_or_default();
            if token.len() < 16 {
                return Err(format!("line {}: a token must be at least 16 characters long", n + 1));
            }
            let mut subject = None;
            let mut scopes = BTreeSet::new();
            for p in parts {
                match p.split_once('=') {
                    Some(("sub", v)) => subject = Some(v.to_owned()),
                    Some(("scopes", v)) => scopes.extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned)),
                    _ => return Err(format!("line {}: expected `sub=NAME` or `scopes=a,b`, found `{p}`", n + 1)),
                }
            }
            keys.keys.push((Secret::new(token), subject, scopes));
        }
        Ok(keys)
    }

    /// Checks a token. Every key is compared (in constant time for keys of equal length), so
    /// timing says nothing about which key nearly matched.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let mut found: Option<&(Secret, Option<String>, BTreeSet<String>)> = None;
        for k in &self.keys {
            if bool::from(k.0.expose().as_bytes().ct_eq(token.as_bytes())) {
                found = Some(k);
            }
        }
        match found {
            Some((secret, subject, scopes)) => Ok(Principal {
                subject: subject.clone(),
                scopes: scopes.clone(),
                method: AuthMethod::StaticKey,
                token: Some(secret.clone()),
                claims: None,
            }),
            None => Err(AuthError::InvalidToken("unknown token".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_verifies() {
        let keys =
            StaticKeys::parse("# ops\nabcdefghijklmnop0001 sub=ci scopes=read,write\nabcdefghijklmnop0002\n").unwrap();
        assert_eq!(keys.len(), 2);
        let p = keys.verify("abcdefghijklmnop0001").unwrap();
        assert_eq!(p.subject.as_deref(), Some("ci"));
        assert!(p.scopes.contains("write"));
        assert!(keys.verify("abcdefghijklmnop0003").is_err());
        assert!(keys.verify("").is_err());
        assert!(StaticKeys::parse("short").is_err());
        assert!(StaticKeys::parse("abcdefghijklmnop0001 bogus").is_err());
        assert!(!format!("{:?}", keys).contains("abcdefghijklmnop"));
    }
}
