//! Settings read from the environment: whole numbers and seconds, each refused with the
//! variable's name and the fix when it is set to something else (never silently replaced by
//! its default).

use std::time::Duration;

use anyhow::{Result, bail};

/// A variable's value: `var(name)`, the process environment in [`env`].
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as [`Vars`].
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `name` as a whole number (`what` says of what, for the error), `default` when unset.
///
/// Errors: set but not a whole number, naming the variable and an example.
pub fn count(var: Vars, name: &str, what: &str, default: u32) -> Result<u32> {
    let Some(v) = var(name) else {
        return Ok(default);
    };
    match v.trim().parse() {
        Ok(n) => Ok(n),
        Err(_) => bail!(
            "{name}={v}: not a whole number of {what}; give one such as {default}, or unset it"
        ),
    }
}

/// `name` as a positive number of seconds (a fraction allowed: `0.2`), `default` when unset.
///
/// Errors: set but not a positive, finite number, naming the variable and an example.
pub fn seconds(var: Vars, name: &str, default: Duration) -> Result<Duration> {
    let Some(v) = var(name) else {
        return Ok(default);
    };
    match v.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => bail!(
            "{name}={v}: not a positive number of seconds; give one such as {}, or unset it",
            default.as_secs_f64()
        ),
    }
}
