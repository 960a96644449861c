//! Signing a dist's files with minisign: the key, and one `.minisig` per file.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// Reads a minisign secret key. An encrypted key is opened with `password`; without one it
/// is an error unless `prompt` (then minisign asks on the terminal).
///
/// Errors name `path`: it cannot be read, is not a minisign secret key, the password is
/// wrong, or the key is encrypted and there is no password.
pub fn signing_key(
    path: &Path,
    password: Option<String>,
    prompt: bool,
) -> Result<minisign::SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key {}", path.display()))?;
    // a key file is an `untrusted comment:` line and a base64 line (minisign's format)
    let mut lines = text.lines();
    let framed = lines
        .next()
        .is_some_and(|l| l.starts_with("untrusted comment:"))
        && lines.next().is_some_and(|l| !l.trim().is_empty());
    if !framed {
        bail!(
            "{} is not a minisign secret key (make one with `minisign -G`)",
            path.display()
        );
    }
    let boxed = minisign::SecretKeyBox::from_string(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let unencrypted =
        minisign::SecretKeyBox::from_string(&text).and_then(|b| b.into_unencrypted_secret_key());
    if let Ok(key) = unencrypted
        && !key.is_encrypted()
    {
        return Ok(key);
    }
    if password.is_none() && !prompt {
        bail!(
            "the signing key {} is encrypted: set CROSSFLAKE_MINISIGN_PASSWORD to its password",
            path.display()
        );
    }
    boxed.into_secret_key(password).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the signing key {}: {e} (a wrong password, or not a minisign secret key)",
            path.display()
        )
    })
}

/// A minisign signature (the `.minisig` file's text) of `data` named `name`, with the trusted
/// comment `timestamp:EPOCH\tfile:NAME\thashed` as minisign writes it (EPOCH: the source date).
///
/// Errors: the key cannot sign (an encrypted key that was not opened).
pub fn minisign_signature(
    key: &minisign::SecretKey,
    name: &str,
    data: &[u8],
    epoch: u64,
) -> Result<String> {
    let trusted = format!("timestamp:{epoch}\tfile:{name}\thashed");
    let sig = minisign::sign(
        None,
        key,
        data,
        Some(&trusted),
        Some("signature from crossflake dist"),
    )
    .map_err(|e| anyhow::anyhow!("cannot sign {name}: {e}"))?;
    Ok(sig.into_string())
}
