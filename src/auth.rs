//! Passwords (argon2id), session tokens (random, stored hashed) and login throttling.

use crate::store::login_attempts;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use projections::Db;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

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

/// Login throttling per account and per client address, in a fixed window. Each attempt is
/// counted in the store before its password is checked (`reserve`), so parallel attempts cannot
/// all slip through while the slow hash runs, and every instance sharing the store counts
/// against the same numbers. A login that succeeds forgets its account's count and gives its
/// address's attempt back: only failures add up.
pub struct LoginThrottle {
    window: Duration,
    max_per_account: u32,
    max_per_address: u32,
}

/// The outcome of reserving an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Go ahead and check the password; this is the account's `n`th attempt in the window.
    Allowed { account_attempts: u32 },
    /// Refused without checking; retry after this long.
    Throttled(Duration),
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.to_lowercase())
}

fn address_key(address: IpAddr) -> String {
    format!("address:{address}")
}

impl LoginThrottle {
    pub fn new(window: Duration, max_per_account: u32, max_per_address: u32) -> Self {
        Self {
            window,
            max_per_account,
            max_per_address,
        }
    }

    pub fn max_per_account(&self) -> u32 {
        self.max_per_account
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX)
    }

    fn retry_after(&self, start_ms: i64, now_ms: i64) -> Duration {
        let end = start_ms.saturating_add(self.window_ms());
        Duration::from_millis(u64::try_from(end - now_ms).unwrap_or(0))
    }

    /// Counts an attempt of `account` from `address` before its password is checked.
    pub async fn reserve(
        &self,
        db: &Db,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<Attempt, sqlx::Error> {
        let now = now_ms();
        let account = account_key(account);
        let (attempts, start) =
            login_attempts::reserve(db, &account, now, self.window_ms()).await?;
        if attempts > i64::from(self.max_per_account) {
            return Ok(Attempt::Throttled(self.retry_after(start, now)));
        }
        if let Some(address) = address {
            let key = address_key(address);
            let (attempts, start) =
                login_attempts::reserve(db, &key, now, self.window_ms()).await?;
            if attempts > i64::from(self.max_per_address) {
                // The account's attempt was never tried: give it back.
                login_attempts::refund(db, &account).await?;
                return Ok(Attempt::Throttled(self.retry_after(start, now)));
            }
        }
        Ok(Attempt::Allowed {
            account_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        })
    }

    /// After a successful login: the account starts over, and the address's attempt is given
    /// back (an office behind one address logs in all day). Old windows are swept on the way.
    pub async fn succeeded(
        &self,
        db: &Db,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<(), sqlx::Error> {
        login_attempts::forget(db, &account_key(account)).await?;
        if let Some(address) = address {
            login_attempts::refund(db, &address_key(address)).await?;
        }
        login_attempts::purge(db, now_ms() - self.window_ms()).await?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
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
}
