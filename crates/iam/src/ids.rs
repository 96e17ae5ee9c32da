//! Random identifiers and secrets in the shapes AWS issues them.

use aws_wire::AwsError;

use crate::errors;

/// Characters of unique ids and access key ids.
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Characters of secret access keys and session tokens (base64's).
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Characters after the 4-character prefix of a unique id (`AROA...`).
const UNIQUE_ID_SUFFIX_CHARS: usize = 17;
/// Characters after the 4-character prefix of an access key id (`AKIA...`).
const ACCESS_KEY_ID_SUFFIX_CHARS: usize = 16;
/// Characters of a secret access key.
pub const SECRET_CHARS: usize = 40;
/// Characters of a session token (AWS's are a few hundred base64 characters).
pub const SESSION_TOKEN_CHARS: usize = 356;

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so
/// no character is likelier than another).
fn random_string(alphabet: &[u8], len: usize) -> Result<String, AwsError> {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256, "alphabet of {} characters", alphabet.len());
    let n = alphabet.len();
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::getrandom(&mut buf).map_err(|e| {
            tracing::error!(error = %e, "the system random source failed");
            errors::service_failure()
        })?;
        for &b in buf.iter().filter(|&&b| (b as usize) < limit) {
            if out.len() == len {
                break;
            }
            out.push(alphabet[b as usize % n] as char);
        }
    }
    Ok(out)
}

fn unique_id(prefix: &str) -> Result<String, AwsError> {
    Ok(format!("{prefix}{}", random_string(ID_ALPHABET, UNIQUE_ID_SUFFIX_CHARS)?))
}

/// A role id: `AROA` and 17 characters.
pub fn role_id() -> Result<String, AwsError> {
    unique_id("AROA")
}

/// A user id: `AIDA` and 17 characters.
pub fn user_id() -> Result<String, AwsError> {
    unique_id("AIDA")
}

/// A managed policy id: `ANPA` and 17 characters.
pub fn policy_id() -> Result<String, AwsError> {
    unique_id("ANPA")
}

/// A long-term access key id: `AKIA` and 16 characters.
pub fn access_key_id() -> Result<String, AwsError> {
    Ok(format!("AKIA{}", random_string(ID_ALPHABET, ACCESS_KEY_ID_SUFFIX_CHARS)?))
}

/// A temporary access key id: `ASIA` and 16 characters.
pub fn session_key_id() -> Result<String, AwsError> {
    Ok(format!("ASIA{}", random_string(ID_ALPHABET, ACCESS_KEY_ID_SUFFIX_CHARS)?))
}

/// A secret access key: 40 base64 characters.
pub fn secret() -> Result<String, AwsError> {
    random_string(SECRET_ALPHABET, SECRET_CHARS)
}

/// A session token.
pub fn session_token() -> Result<String, AwsError> {
    random_string(SECRET_ALPHABET, SESSION_TOKEN_CHARS)
}

/// A stable id with `prefix` derived from `name` (FNV-1a), for the AWS
/// managed policies kinesd ships: the same on every server and restart.
pub fn derived_id(prefix: &str, name: &str) -> String {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    let mut out = String::from(prefix);
    for i in 0..UNIQUE_ID_SUFFIX_CHARS {
        for b in name.bytes().chain([i as u8]) {
            hash ^= b as u128;
            hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
        }
        out.push(ID_ALPHABET[(hash >> 64) as usize % ID_ALPHABET.len()] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_in(s: &str, alphabet: &[u8]) -> bool {
        s.bytes().all(|b| alphabet.contains(&b))
    }

    #[test]
    fn ids_have_aws_prefixes_lengths_and_alphabets() {
        let role = role_id().unwrap();
        assert_eq!((&role[..4], role.len()), ("AROA", 21));
        assert!(all_in(&role, ID_ALPHABET));
        assert_eq!(&user_id().unwrap()[..4], "AIDA");
        assert_eq!(&policy_id().unwrap()[..4], "ANPA");
        let key = access_key_id().unwrap();
        assert_eq!((&key[..4], key.len()), ("AKIA", 20));
        let temp = session_key_id().unwrap();
        assert_eq!((&temp[..4], temp.len()), ("ASIA", 20));
        let secret = secret().unwrap();
        assert_eq!(secret.len(), 40);
        assert!(all_in(&secret, SECRET_ALPHABET));
        assert_eq!(session_token().unwrap().len(), SESSION_TOKEN_CHARS);
        assert_ne!(role_id().unwrap(), role);
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id("ANPA", "AdministratorAccess");
        assert_eq!(a, derived_id("ANPA", "AdministratorAccess"));
        assert_ne!(a, derived_id("ANPA", "AmazonKinesisFullAccess"));
        assert_eq!(a.len(), 21);
        assert!(all_in(&a, ID_ALPHABET));
    }
}
