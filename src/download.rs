//! Downloads over HTTP(S): one GET with bounded retries and backoff for what is worth retrying
//! (an HTTP 5xx, 408 or 429, a connection refused or reset, a body cut short, a stall, a
//! timeout) and none for what is not (any other status, a redirect loop, a body over its
//! limit, a host that does not resolve). Every error names the URL. Checksums are the caller's:
//! a body that arrives whole but does not match is not fetched again.
//!
//! The policy comes from the environment (as cargo's `net.retry` does), so tests and slow
//! networks set their own:
//!
//! | variable                           | meaning                                   | default |
//! |------------------------------------|-------------------------------------------|---------|
//! | `CROSSFLAKE_DOWNLOAD_RETRIES`      | retries after the first attempt           | 3       |
//! | `CROSSFLAKE_DOWNLOAD_BACKOFF_SECS` | wait before the first retry, then doubled | 1       |
//! | `CROSSFLAKE_DOWNLOAD_STALL_SECS`   | longest wait to connect or for a byte     | 30      |
//! | `CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS` | longest attempt, connecting to last byte  | 300     |
//!
//! Seconds may have a fraction (`0.2`). A probe (doctor asking whether a server answers)
//! starts from shorter defaults, [`Policy::probe`], so a server that is down costs seconds.

use std::fmt;
use std::time::Duration;

use anyhow::Result;

use crate::settings;

/// Redirects followed before a download gives up (ureq's default, said here so the error
/// can name it).
pub const MAX_REDIRECTS: u32 = 10;

/// The longest wait between two attempts, however many retries came before.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How hard one download tries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Attempts after the first one that failed in a way worth retrying.
    pub retries: u32,
    /// The wait before the first retry; each later one waits twice the one before
    /// (at most a minute).
    pub backoff: Duration,
    /// The longest a connection may take to open, and the server may then send nothing
    /// while a response is due (ureq's connect and per-read timeouts).
    pub stall: Duration,
    /// The longest one attempt may take, from connecting to the last byte of the body.
    pub timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            retries: 3,
            backoff: Duration::from_secs(1),
            stall: Duration::from_secs(30),
            timeout: Duration::from_secs(300),
        }
    }
}

impl Policy {
    /// The default policy with the `CROSSFLAKE_DOWNLOAD_*` variables applied (module docs).
    ///
    /// Errors: a variable that is set but is not a whole number (retries) or a positive
    /// number of seconds (the others), naming the variable and the fix.
    pub fn from_env() -> Result<Policy> {
        Policy::from_vars(&settings::env, Policy::default())
    }

    /// For a probe: 1 retry, 1 s backoff, 5 s to connect or stall, 10 s an attempt, each
    /// overridden by the same variables as [`Policy::from_env`].
    ///
    /// Errors: as [`Policy::from_env`].
    pub fn probe() -> Result<Policy> {
        let base = Policy {
            retries: 1,
            backoff: Duration::from_secs(1),
            stall: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        };
        Policy::from_vars(&settings::env, base)
    }

    /// `base` with the `CROSSFLAKE_DOWNLOAD_*` variables of `var` applied.
    ///
    /// Errors: as [`Policy::from_env`].
    pub fn from_vars(var: settings::Vars, base: Policy) -> Result<Policy> {
        Ok(Policy {
            retries: settings::count(var, "CROSSFLAKE_DOWNLOAD_RETRIES", "retries", base.retries)?,
            backoff: settings::seconds(var, "CROSSFLAKE_DOWNLOAD_BACKOFF_SECS", base.backoff)?,
            stall: settings::seconds(var, "CROSSFLAKE_DOWNLOAD_STALL_SECS", base.stall)?,
            timeout: settings::seconds(var, "CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS", base.timeout)?,
        })
    }

    /// The wait before retry `n` (1 for the first retry).
    pub fn wait_before(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The server answered with this HTTP status (not 2xx).
    Status(u16),
    /// No connection within the policy's stall time.
    NoConnection,
    /// The server sent nothing for the policy's stall time.
    Stalled,
    /// The attempt took longer than the policy's timeout.
    TimedOut,
    /// The connection was refused, reset or cut short (ureq's own words).
    Connection(String),
    /// The redirects went round in a circle or on too long.
    TooManyRedirects,
    /// The body was longer than the caller's limit (in bytes).
    TooLarge(u64),
    /// Anything else ureq reports (a bad URL, TLS), not retried.
    Other(String),
}

impl Cause {
    /// Whether another attempt may do better: 5xx, 408 and 429, stalls, timeouts and
    /// connection failures.
    pub fn retryable(&self) -> bool {
        match self {
            Cause::Status(s) => *s >= 500 || *s == 408 || *s == 429,
            Cause::NoConnection | Cause::Stalled | Cause::TimedOut | Cause::Connection(_) => true,
            Cause::TooManyRedirects | Cause::TooLarge(_) | Cause::Other(_) => false,
        }
    }

    fn of(e: ureq::Error) -> Cause {
        use ureq::Timeout;
        match e {
            ureq::Error::StatusCode(s) => Cause::Status(s),
            ureq::Error::Timeout(Timeout::PerRead) => Cause::Stalled,
            ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => Cause::NoConnection,
            ureq::Error::Timeout(_) => Cause::TimedOut,
            ureq::Error::TooManyRedirects => Cause::TooManyRedirects,
            ureq::Error::BodyExceedsLimit(n) => Cause::TooLarge(n),
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Cause::Connection(
                    "the server closed the connection before the whole answer arrived".into(),
                )
            }
            ureq::Error::Io(e) => Cause::Connection(e.to_string()),
            // a name that does not resolve comes as Io from getaddrinfo, retried as the
            // network's other failures are; ureq says HostNotFound for an empty answer
            e @ (ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled) => Cause::Connection(e.to_string()),
            e => Cause::Other(e.to_string()),
        }
    }
}

/// A download that failed: the URL, the attempts made and the last attempt's cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// The URL asked (the first one, before any redirect).
    pub url: String,
    /// Attempts made, counting the last one.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub cause: Cause,
    /// The policy the attempts ran under.
    pub policy: Policy,
}

impl Failed {
    /// The cause in words, with the variable that sets its limit.
    pub fn cause_text(&self) -> String {
        let p = &self.policy;
        match &self.cause {
            Cause::Status(s) => {
                let reason = ureq::http::StatusCode::from_u16(*s)
                    .ok()
                    .and_then(|c| c.canonical_reason());
                match reason {
                    Some(r) => format!("HTTP {s} {r}"),
                    None => format!("HTTP {s}"),
                }
            }
            Cause::NoConnection => format!(
                "no connection within {} s (CROSSFLAKE_DOWNLOAD_STALL_SECS)",
                p.stall.as_secs_f64()
            ),
            Cause::Stalled => format!(
                "the server sent nothing for {} s (CROSSFLAKE_DOWNLOAD_STALL_SECS)",
                p.stall.as_secs_f64()
            ),
            Cause::TimedOut => format!(
                "no complete answer within {} s (CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS)",
                p.timeout.as_secs_f64()
            ),
            Cause::Connection(why) | Cause::Other(why) => why.clone(),
            Cause::TooManyRedirects => {
                format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)")
            }
            Cause::TooLarge(n) => format!("the body is larger than {n} bytes"),
        }
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to download {}: {}", self.url, self.cause_text())?;
        if self.cause.retryable() {
            let s = if self.attempts == 1 { "" } else { "s" };
            write!(
                f,
                "; gave up after {} attempt{s} (CROSSFLAKE_DOWNLOAD_RETRIES={})",
                self.attempts, self.policy.retries
            )
        } else if self.attempts == 1 {
            write!(f, " (not retried)")
        } else {
            write!(f, " (attempt {}; not retried)", self.attempts)
        }
    }
}

impl std::error::Error for Failed {}

/// The certificate authorities HTTPS downloads trust: the system's, as curl and cargo trust
/// them (`SSL_CERT_FILE` or `SSL_CERT_DIR` when set, else the platform's store, read by
/// rustls-native-certs), so a dist server mirror or a proxy with a private CA works; the
/// bundled webpki roots where the system has none (a scratch container).
/// Read once per run; a store that could not be read is said on stderr.
fn root_certs() -> ureq::tls::RootCerts {
    static ROOTS: std::sync::OnceLock<ureq::tls::RootCerts> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                eprintln!("warning: reading the system's certificate authorities: {e}");
            }
            if found.certs.is_empty() {
                if !found.errors.is_empty() {
                    eprintln!("warning: none read; HTTPS downloads trust the bundled ones");
                }
                return ureq::tls::RootCerts::WebPki;
            }
            found
                .certs
                .iter()
                .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
                .collect::<Vec<_>>()
                .into()
        })
        .clone()
}

/// GETs `url` whole (at most `limit` bytes), retrying under `policy`; says each retry on
/// stderr (`warning: URL: CAUSE; retry N of M in S s`).
///
/// Errors: [`Failed`], naming the URL, the cause, and the attempts made.
pub fn get(url: &str, limit: u64, policy: &Policy) -> Result<Vec<u8>, Failed> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(root_certs())
                .build(),
        )
        .timeout_global(Some(policy.timeout))
        .timeout_connect(Some(policy.stall))
        .timeout_per_read(Some(policy.stall))
        .max_redirects(MAX_REDIRECTS)
        .build()
        .into();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = agent
            .get(url)
            .call()
            .and_then(|mut r| r.body_mut().with_config().limit(limit).read_to_vec());
        let cause = match result {
            Ok(bytes) => return Ok(bytes),
            Err(e) => Cause::of(e),
        };
        let failed = Failed {
            url: url.to_string(),
            attempts: attempt,
            cause,
            policy: *policy,
        };
        if !failed.cause.retryable() || attempt > policy.retries {
            return Err(failed);
        }
        let wait = policy.wait_before(attempt);
        eprintln!(
            "warning: {url}: {}; retry {attempt} of {} in {} s",
            failed.cause_text(),
            policy.retries,
            wait.as_secs_f64()
        );
        std::thread::sleep(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_comes_from_the_environment_and_refuses_what_is_not_a_number() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let base = Policy::default();
        assert_eq!(Policy::from_vars(&vars(&[]), base).unwrap(), base);
        let p = Policy::from_vars(
            &vars(&[
                ("CROSSFLAKE_DOWNLOAD_RETRIES", "0"),
                ("CROSSFLAKE_DOWNLOAD_BACKOFF_SECS", "0.25"),
                ("CROSSFLAKE_DOWNLOAD_STALL_SECS", "2"),
                ("CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS", "7.5"),
            ]),
            base,
        )
        .unwrap();
        assert_eq!(
            p,
            Policy {
                retries: 0,
                backoff: Duration::from_millis(250),
                stall: Duration::from_secs(2),
                timeout: Duration::from_millis(7500),
            }
        );
        for (pairs, message) in [
            (
                &[("CROSSFLAKE_DOWNLOAD_RETRIES", "-1")][..],
                "CROSSFLAKE_DOWNLOAD_RETRIES=-1: not a whole number of retries; give one such as 3, or unset it",
            ),
            (
                &[("CROSSFLAKE_DOWNLOAD_STALL_SECS", "0")][..],
                "CROSSFLAKE_DOWNLOAD_STALL_SECS=0: not a positive number of seconds; give one such as 30, or unset it",
            ),
            (
                &[("CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS", "soon")][..],
                "CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS=soon: not a positive number of seconds; give one such as 300, or unset it",
            ),
            (
                &[("CROSSFLAKE_DOWNLOAD_BACKOFF_SECS", "inf")][..],
                "CROSSFLAKE_DOWNLOAD_BACKOFF_SECS=inf: not a positive number of seconds; give one such as 1, or unset it",
            ),
        ] {
            let e = Policy::from_vars(&vars(pairs), base).unwrap_err();
            assert_eq!(format!("{e:#}"), message);
        }
    }

    #[test]
    fn waits_double_up_to_a_minute() {
        let p = Policy {
            backoff: Duration::from_secs(5),
            ..Policy::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| p.wait_before(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        assert_eq!(p.wait_before(40), MAX_BACKOFF);
    }

    #[test]
    fn what_is_retried() {
        for (cause, retried) in [
            (Cause::Status(500), true),
            (Cause::Status(503), true),
            (Cause::Status(408), true),
            (Cause::Status(429), true),
            (Cause::Status(404), false),
            (Cause::Status(403), false),
            (Cause::Stalled, true),
            (Cause::TimedOut, true),
            (Cause::Connection("connection reset".into()), true),
            (Cause::TooManyRedirects, false),
            (Cause::TooLarge(10), false),
            (Cause::NoConnection, true),
            (Cause::Other("bad URL".into()), false),
        ] {
            assert_eq!(cause.retryable(), retried, "{cause:?}");
        }
    }
}
