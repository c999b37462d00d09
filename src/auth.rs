//! Passwords (argon2id), session tokens (random, stored hashed) and login throttling.

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// argon2id with m = 19 MiB, t = 2, p = 1 (OWASP's minimum; shared/spec/quality.md).
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters")
}

/// The minimum length of a password.
pub const MIN_PASSWORD_LEN: usize = 12;

/// How many passwords are hashed at once. Each hash needs 19 MiB of working memory, and the
/// allocator keeps what it once held: bounded and reused, a burst of logins cannot swell the
/// server's memory (measured: ten parallel logins took it from 12 to 200 MiB). Beyond the cores
/// more would not be faster either.
pub const PARALLEL_HASHES: usize = 2;

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PARALLEL_HASHES);
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `f` with argon2 working memory of at least `blocks` blocks, from the pool.
fn with_memory<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let pooled = MEMORY.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut memory = match pooled {
        Some(m) if m.len() >= blocks => m,
        _ => vec![Block::default(); blocks],
    };
    let result = f(&mut memory[..blocks]);
    let mut pool = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    if pool.len() < PARALLEL_HASHES {
        pool.push(memory);
    }
    result
}

fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &argon2::password_hash::Salt<'_>,
    len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    Output::init_with(len, |out| {
        with_memory(params.block_count(), |memory| {
            argon2.hash_password_into_with_memory(password, salt_bytes, out, memory)
        })
        .map_err(Into::into)
    })
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a new password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = compute(
        &argon2,
        &params,
        password.as_bytes(),
        &salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches a stored PHC string (constant-time comparison).
pub fn verify_password(password: &str, hash: &str) -> bool {
    let verified = || -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(hash)?;
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let computed = compute(&argon2, &params, password.as_bytes(), &salt, expected.len())?;
        Ok(computed == expected)
    };
    verified().unwrap_or(false)
}

/// `hash_password` off the async workers, at most `PARALLEL_HASHES` at once.
pub async fn hash_password_async(password: String) -> Result<String, String> {
    let _permit = HASHING.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// `verify_password` off the async workers, at most `PARALLEL_HASHES` at once.
pub async fn verify_password_async(password: String, hash: String) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A hash to verify against when the username does not exist, so that a missing account takes
/// as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("casebook-dummy-password").unwrap_or_default())
}

/// A new session token: 256 random bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the server stores of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Failed-login counting per account and per client address, in a fixed window. In-process:
/// with several instances each counts its own share, which still bounds guessing.
pub struct LoginThrottle {
    window: Duration,
    max_per_account: u32,
    max_per_address: u32,
    state: Mutex<ThrottleState>,
}

#[derive(Default)]
struct ThrottleState {
    accounts: HashMap<String, (Instant, u32)>,
    addresses: HashMap<IpAddr, (Instant, u32)>,
}

impl LoginThrottle {
    pub fn new(window: Duration, max_per_account: u32, max_per_address: u32) -> Self {
        Self {
            window,
            max_per_account,
            max_per_address,
            state: Mutex::default(),
        }
    }

    fn remaining<K: std::hash::Hash + Eq>(
        map: &HashMap<K, (Instant, u32)>,
        key: &K,
        max: u32,
        window: Duration,
        now: Instant,
    ) -> Option<Duration> {
        let (start, count) = map.get(key)?;
        let elapsed = now.duration_since(*start);
        (elapsed < window && *count >= max).then(|| window - elapsed)
    }

    /// `Some(retry_after)` when the account or the address is throttled.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let account = Self::remaining(
            &state.accounts,
            &account.to_lowercase(),
            self.max_per_account,
            self.window,
            now,
        );
        let address = address.and_then(|a| {
            Self::remaining(&state.addresses, &a, self.max_per_address, self.window, now)
        });
        account.into_iter().chain(address).max()
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let window = self.window;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bump = |entry: &mut (Instant, u32)| {
            if now.duration_since(entry.0) >= window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        };
        bump(
            state
                .accounts
                .entry(account.to_lowercase())
                .or_insert((now, 0)),
        );
        if let Some(address) = address {
            bump(state.addresses.entry(address).or_insert((now, 0)));
        }
        // Keep memory bounded under a spray of usernames.
        if state.accounts.len() > 100_000 {
            state
                .accounts
                .retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        if state.addresses.len() > 100_000 {
            state
                .addresses
                .retain(|_, (start, _)| now.duration_since(*start) < window);
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.accounts.remove(&account.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn an_account_is_throttled_after_repeated_failures_and_freed_by_a_success() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 3, 100);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.check("mai", Some(ip)).is_none());
            throttle.record_failure("Mai", Some(ip));
        }
        let retry = throttle.check("mai", Some(ip)).expect("throttled");
        assert!(retry <= Duration::from_secs(60));
        assert!(throttle.check("lan", Some(ip)).is_none());
        throttle.record_success("mai");
        assert!(throttle.check("mai", Some(ip)).is_none());
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 100, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for name in ["a", "b", "c"] {
            throttle.record_failure(name, Some(ip));
        }
        assert!(throttle.check("d", Some(ip)).is_some());
        assert!(throttle
            .check("d", Some("10.0.0.2".parse().unwrap()))
            .is_none());
    }
}
