//! Key specs and key usages: which combinations CreateKey accepts, and the
//! algorithms DescribeKey reports for each.
//!
//! kinesd keeps a key only when every operation it implements answers for
//! that key as AWS would. Symmetric encryption keys are fully supported.
//! Signing (asymmetric `SIGN_VERIFY`) and HMAC (`GENERATE_VERIFY_MAC`) keys
//! are stored and described; Encrypt, Decrypt and the data-key operations
//! refuse them with AWS's `InvalidKeyUsageException`, and Sign, Verify,
//! GenerateMac and GetPublicKey are not implemented at all. Asymmetric
//! `ENCRYPT_DECRYPT` (RSA) and `KEY_AGREEMENT` keys are refused at creation
//! with `UnsupportedOperationException`: AWS would encrypt or derive with
//! them, which kinesd cannot.

use crate::KmsError;

/// The key spec of symmetric encryption keys, and the default.
pub(crate) const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";
/// The key usage of encryption keys, and the default for symmetric keys.
pub(crate) const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
const SIGN_VERIFY: &str = "SIGN_VERIFY";
const GENERATE_VERIFY_MAC: &str = "GENERATE_VERIFY_MAC";
const KEY_AGREEMENT: &str = "KEY_AGREEMENT";

/// The key usages AWS allows for `spec` (empty for an unknown spec).
fn usages(spec: &str) -> &'static [&'static str] {
    match spec {
        SYMMETRIC_DEFAULT => &[ENCRYPT_DECRYPT],
        "RSA_2048" | "RSA_3072" | "RSA_4096" => &[ENCRYPT_DECRYPT, SIGN_VERIFY],
        "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" => &[SIGN_VERIFY, KEY_AGREEMENT],
        "ECC_SECG_P256K1" | "ECC_NIST_EDWARDS25519" | "ML_DSA_44" | "ML_DSA_65" | "ML_DSA_87" => &[SIGN_VERIFY],
        "HMAC_224" | "HMAC_256" | "HMAC_384" | "HMAC_512" => &[GENERATE_VERIFY_MAC],
        "SM2" => &[ENCRYPT_DECRYPT, SIGN_VERIFY, KEY_AGREEMENT],
        _ => &[],
    }
}

/// The key usage of a new key with `spec` and the requested `usage`, or why
/// CreateKey refuses the combination.
pub(crate) fn check_create(spec: &str, usage: Option<&str>) -> Result<&'static str, KmsError> {
    let allowed = usages(spec);
    let usage = match usage {
        Some(usage) => usage,
        None if spec == SYMMETRIC_DEFAULT => ENCRYPT_DECRYPT,
        None => {
            return Err(KmsError::validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
            ))
        }
    };
    let Some(usage) = allowed.iter().copied().find(|u| *u == usage) else {
        return Err(KmsError::validation(format!("KeyUsage {usage} is not compatible with KeySpec {spec}")));
    };
    if spec == "SM2" {
        return Err(KmsError::new("UnsupportedOperationException", "KeySpec SM2 is supported only in China Regions."));
    }
    if spec != SYMMETRIC_DEFAULT && usage == ENCRYPT_DECRYPT {
        return Err(KmsError::new(
            "UnsupportedOperationException",
            format!("kinesd does not implement asymmetric encryption: KeySpec {spec} with KeyUsage {usage} is not supported."),
        ));
    }
    if usage == KEY_AGREEMENT {
        return Err(KmsError::new(
            "UnsupportedOperationException",
            format!("kinesd does not implement key agreement: KeySpec {spec} with KeyUsage {usage} is not supported."),
        ));
    }
    Ok(usage)
}

/// Whether the key is a symmetric encryption key (the only kind that
/// encrypts here and the only kind with automatic rotation).
pub(crate) fn is_symmetric_encryption(spec: &str, usage: &str) -> bool {
    spec == SYMMETRIC_DEFAULT && usage == ENCRYPT_DECRYPT
}

/// The signing algorithms of a `SIGN_VERIFY` key with `spec`.
pub(crate) fn signing_algorithms(spec: &str) -> &'static [&'static str] {
    match spec {
        "RSA_2048" | "RSA_3072" | "RSA_4096" => &[
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512",
        ],
        "ECC_NIST_P256" | "ECC_SECG_P256K1" => &["ECDSA_SHA_256"],
        "ECC_NIST_P384" => &["ECDSA_SHA_384"],
        "ECC_NIST_P521" => &["ECDSA_SHA_512"],
        "ECC_NIST_EDWARDS25519" => &["ED25519_SHA_512", "ED25519_PH_SHA_512"],
        "ML_DSA_44" | "ML_DSA_65" | "ML_DSA_87" => &["ML_DSA_SHAKE_256"],
        _ => &[],
    }
}

/// The MAC algorithm of an HMAC key with `spec`.
pub(crate) fn mac_algorithms(spec: &str) -> &'static [&'static str] {
    match spec {
        "HMAC_224" => &["HMAC_SHA_224"],
        "HMAC_256" => &["HMAC_SHA_256"],
        "HMAC_384" => &["HMAC_SHA_384"],
        "HMAC_512" => &["HMAC_SHA_512"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_accepts_symmetric_signing_and_hmac_keys_only() {
        assert_eq!(check_create(SYMMETRIC_DEFAULT, None).unwrap(), ENCRYPT_DECRYPT);
        assert_eq!(check_create("ECC_NIST_P256", Some(SIGN_VERIFY)).unwrap(), SIGN_VERIFY);
        assert_eq!(check_create("HMAC_256", Some(GENERATE_VERIFY_MAC)).unwrap(), GENERATE_VERIFY_MAC);
        assert_eq!(check_create("RSA_2048", None).unwrap_err().code, "ValidationException");
        assert_eq!(check_create(SYMMETRIC_DEFAULT, Some(SIGN_VERIFY)).unwrap_err().code, "ValidationException");
        assert_eq!(check_create("HMAC_256", Some(ENCRYPT_DECRYPT)).unwrap_err().code, "ValidationException");
        assert_eq!(check_create("RSA_2048", Some(ENCRYPT_DECRYPT)).unwrap_err().code, "UnsupportedOperationException");
        assert_eq!(
            check_create("ECC_NIST_P384", Some(KEY_AGREEMENT)).unwrap_err().code,
            "UnsupportedOperationException"
        );
    }
}
